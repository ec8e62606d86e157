/**
 * What the registry must know about a pushed manifest before storing it: that it is well-formed JSON of a
 * media type we serve, which blobs and child manifests it needs in the repository, and what it says about
 * itself for the referrers API (subject, artifactType, annotations).
 */
import { type Digest, isDigest, isRecord, parseJson } from '../../core/index.js';
import { RegistryHttpError } from './errors.js';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
const INDEX_TYPES = new Set([OCI_INDEX, DOCKER_MANIFEST_LIST]);
const SERVED_TYPES = new Set([OCI_MANIFEST, DOCKER_MANIFEST, ...INDEX_TYPES]);
/** Content-Types that say nothing about the manifest, sent by some clients; the document decides then. */
const GENERIC_CONTENT_TYPES = new Set(['', 'application/json', 'application/octet-stream']);

/** A descriptor as the referrers API lists it. */
export interface ReferrerDescriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

export interface InspectedManifest {
  mediaType: string;
  /** Config and layers of an image manifest: blobs that must be in the repository. */
  blobs: Digest[];
  /** Entries of an index: manifests (or, for artifacts, blobs) that must be in the repository. */
  children: Digest[];
  subject?: Digest;
  /** The artifactType the referrers API reports: the manifest's own, else an image's config media type. */
  artifactType?: string;
  annotations?: Record<string, string>;
}

/** Checks a pushed manifest; `contentType` is the request's Content-Type header, if any. */
export function inspectManifest(bytes: Uint8Array, contentType: string | undefined): InspectedManifest {
  const document = parseDocument(bytes);
  if (document.schemaVersion !== 2) invalid('schemaVersion must be 2');
  const mediaType = manifestMediaType(document, contentType);
  const subject = document.subject === undefined ? undefined : descriptor(document.subject, 'subject').digest;
  const annotations = stringMap(document.annotations, 'annotations');
  const ownArtifactType = optionalString(document.artifactType, 'artifactType');
  if (INDEX_TYPES.has(mediaType)) {
    if (!Array.isArray(document.manifests)) invalid('an index needs a "manifests" array');
    const children = document.manifests.map((entry, i) => descriptor(entry, `manifests[${i}]`).digest);
    return { mediaType, blobs: [], children, subject, artifactType: ownArtifactType, annotations };
  }
  const config = descriptor(document.config, 'config');
  if (!Array.isArray(document.layers)) invalid('an image manifest needs a "layers" array');
  const layers = document.layers.map((entry, i) => descriptor(entry, `layers[${i}]`).digest);
  const artifactType = ownArtifactType ?? config.mediaType;
  return { mediaType, blobs: [config.digest, ...layers], children: [], subject, artifactType, annotations };
}

/** The subject a stored manifest names, for undoing its referrers entry; stored bytes were checked on push. */
export function subjectOf(bytes: Uint8Array): Digest | undefined {
  const document = parseDocument(bytes);
  return isRecord(document.subject) &&
    typeof document.subject.digest === 'string' &&
    isDigest(document.subject.digest)
    ? document.subject.digest
    : undefined;
}

export function referrerDescriptor(
  manifest: InspectedManifest,
  digest: Digest,
  size: number,
): ReferrerDescriptor {
  return {
    mediaType: manifest.mediaType,
    digest,
    size,
    ...(manifest.artifactType === undefined ? {} : { artifactType: manifest.artifactType }),
    ...(manifest.annotations === undefined ? {} : { annotations: manifest.annotations }),
  };
}

function parseDocument(bytes: Uint8Array): Record<string, unknown> {
  let document: unknown;
  try {
    document = parseJson(bytes, 'manifest');
  } catch (err) {
    invalid((err as Error).message);
  }
  if (!isRecord(document)) invalid('a manifest must be a JSON object');
  return document;
}

/**
 * The media type from Content-Type and the `mediaType` field, which must agree when both are given. OCI
 * manifests may omit the field, and some clients send a generic Content-Type; then the shape decides.
 */
function manifestMediaType(document: Record<string, unknown>, contentType: string | undefined): string {
  const header = contentType?.split(';')[0]?.trim().toLowerCase() ?? '';
  const field = optionalString(document.mediaType, 'mediaType');
  if (!GENERIC_CONTENT_TYPES.has(header)) {
    if (!SERVED_TYPES.has(header)) invalid(`unsupported manifest media type "${header}"`);
    if (field !== undefined && field !== header) {
      invalid(`mediaType "${field}" does not match Content-Type "${header}"`);
    }
    return header;
  }
  if (field !== undefined) {
    if (!SERVED_TYPES.has(field)) invalid(`unsupported manifest media type "${field}"`);
    return field;
  }
  if (Array.isArray(document.manifests)) return OCI_INDEX;
  if (document.config !== undefined) return OCI_MANIFEST;
  return invalid('cannot tell the manifest media type: no Content-Type, no mediaType field');
}

function descriptor(value: unknown, where: string): { mediaType: string; digest: Digest } {
  if (!isRecord(value)) invalid(`${where} must be a descriptor object`);
  if (typeof value.mediaType !== 'string' || value.mediaType === '') invalid(`${where}.mediaType is missing`);
  if (typeof value.digest !== 'string' || !isDigest(value.digest)) {
    invalid(`${where}.digest is not a valid sha256/sha512 digest`);
  }
  if (typeof value.size !== 'number' || !Number.isSafeInteger(value.size) || value.size < 0) {
    invalid(`${where}.size must be a non-negative integer`);
  }
  return { mediaType: value.mediaType, digest: value.digest };
}

function optionalString(value: unknown, where: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') invalid(`${where} must be a string`);
  return value;
}

function stringMap(value: unknown, where: string): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  if (!isRecord(value) || !Object.values(value).every((v) => typeof v === 'string')) {
    invalid(`${where} must map strings to strings`);
  }
  return value as Record<string, string>;
}

function invalid(message: string): never {
  throw new RegistryHttpError(400, 'MANIFEST_INVALID', message);
}
