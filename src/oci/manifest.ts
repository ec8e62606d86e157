/**
 * OCI and Docker v2 manifests as typed values, validated field by field when read from a registry: a
 * malformed manifest is rejected with the field that is wrong, never half-used.
 */
import { type Digest, isDigest, isRecord, parseJson, SigilError } from '../core/index.js';
import { IMAGE_MANIFEST_TYPES, INDEX_TYPES, MANIFEST_TYPES } from './media-types.js';

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
  platform?: Platform;
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  manifests: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
  config?: undefined;
}

export type Manifest = ImageManifest | ImageIndex;

export function isIndex(manifest: Manifest): manifest is ImageIndex {
  return 'manifests' in manifest;
}

/**
 * Parses manifest bytes. `mediaType` is the registry's Content-Type; when it is missing or generic, the
 * manifest's own `mediaType` field (or its shape) decides, as distribution does.
 */
export function parseManifest(bytes: Uint8Array, mediaType: string | undefined, where: string): Manifest {
  const json = parseJson(bytes, where);
  if (!isRecord(json)) throw bad(where, 'is not a JSON object');
  if (json.schemaVersion !== 2)
    throw bad(where, `has schemaVersion ${JSON.stringify(json.schemaVersion)}, want 2`);
  const declared = optionalString(json.mediaType, where, 'mediaType');
  if (declared && mediaType && MANIFEST_TYPES.includes(mediaType) && declared !== mediaType) {
    throw bad(where, `declares mediaType ${declared} but was served as ${mediaType}`);
  }
  const type = declared ?? (mediaType && MANIFEST_TYPES.includes(mediaType) ? mediaType : undefined);
  const common = {
    schemaVersion: 2 as const,
    ...(declared ? { mediaType: declared } : {}),
    ...optional('artifactType', optionalString(json.artifactType, where, 'artifactType')),
    ...optional(
      'subject',
      json.subject === undefined ? undefined : parseDescriptor(json.subject, `${where} subject`),
    ),
    ...optional('annotations', parseAnnotations(json.annotations, `${where} annotations`)),
  };
  const looksLikeIndex = type ? INDEX_TYPES.includes(type) : 'manifests' in json;
  if (looksLikeIndex) {
    if (!Array.isArray(json.manifests)) throw bad(where, 'has no "manifests" array');
    return {
      ...common,
      manifests: json.manifests.map((d, i) => parseDescriptor(d, `${where} manifests[${i}]`)),
    };
  }
  if (type && !IMAGE_MANIFEST_TYPES.includes(type)) throw bad(where, `has unsupported media type ${type}`);
  if (!Array.isArray(json.layers)) throw bad(where, 'has no "layers" array');
  return {
    ...common,
    config: parseDescriptor(json.config, `${where} config`),
    layers: json.layers.map((d, i) => parseDescriptor(d, `${where} layers[${i}]`)),
  };
}

export function parseDescriptor(value: unknown, where: string): Descriptor {
  if (!isRecord(value)) throw bad(where, 'is not an object');
  const { mediaType, digest, size } = value;
  if (typeof mediaType !== 'string' || mediaType === '') throw bad(where, 'has no mediaType');
  if (typeof digest !== 'string' || !isDigest(digest))
    throw bad(where, `has invalid digest ${JSON.stringify(digest)}`);
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw bad(where, `has invalid size ${JSON.stringify(size)}`);
  }
  return {
    mediaType,
    digest,
    size,
    ...optional('artifactType', optionalString(value.artifactType, where, 'artifactType')),
    ...optional('annotations', parseAnnotations(value.annotations, `${where} annotations`)),
    ...optional(
      'platform',
      value.platform === undefined ? undefined : parsePlatform(value.platform, `${where} platform`),
    ),
  };
}

function parsePlatform(value: unknown, where: string): Platform {
  if (!isRecord(value) || typeof value.os !== 'string' || typeof value.architecture !== 'string') {
    throw bad(where, 'needs string "os" and "architecture"');
  }
  return {
    os: value.os,
    architecture: value.architecture,
    ...optional('variant', optionalString(value.variant, where, 'variant')),
  };
}

function parseAnnotations(value: unknown, where: string): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  if (!isRecord(value) || !Object.values(value).every((v) => typeof v === 'string')) {
    throw bad(where, 'must map strings to strings');
  }
  return value as Record<string, string>;
}

function optionalString(value: unknown, where: string, field: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw bad(where, `field "${field}" is not a string`);
  return value;
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function bad(where: string, what: string): SigilError {
  return new SigilError('BAD_MANIFEST', `${where}: manifest ${what}`);
}

/**
 * The entry of an index for a platform: exact os/architecture, and the variant when one is asked for
 * (an entry without variant matches any). Throws REGISTRY_NOT_FOUND naming the platforms on offer.
 */
export function selectPlatform(index: ImageIndex, want: Platform, where: string): Descriptor {
  const found = index.manifests.find(
    (d) =>
      d.platform?.os === want.os &&
      d.platform.architecture === want.architecture &&
      (want.variant === undefined || d.platform.variant === undefined || d.platform.variant === want.variant),
  );
  if (found) return found;
  const offered = index.manifests
    .flatMap((d) =>
      d.platform
        ? [[d.platform.os, d.platform.architecture, d.platform.variant].filter(Boolean).join('/')]
        : [],
    )
    .join(', ');
  const name = [want.os, want.architecture, want.variant].filter(Boolean).join('/');
  throw new SigilError(
    'REGISTRY_NOT_FOUND',
    `${where}: no manifest for platform ${name} (index offers: ${offered || 'none'})`,
  );
}
