/**
 * The simple-signing payload cosign signs for a container image (sigstore/sigstore
 * `pkg/signature/payload`): `{"critical":{"identity":{"docker-reference":R},"image":
 * {"docker-manifest-digest":D},"type":"cosign container image signature"},"optional":{...}|null}`.
 */
import { type Digest, goJson, isDigest, isRecord, parseJson, SigilError, sortedKeys } from '../core/index.js';

export const COSIGN_SIGNATURE_TYPE = 'cosign container image signature';

export interface SimpleSigningPayload {
  critical: {
    identity: { 'docker-reference': string };
    image: { 'docker-manifest-digest': Digest };
    type: typeof COSIGN_SIGNATURE_TYPE;
  };
  optional: Record<string, unknown> | null;
}

/**
 * The payload bytes exactly as cosign marshals them: field order of the Go structs, `optional` null when
 * there are no annotations, annotation keys sorted (a Go map).
 */
export function buildSimpleSigningPayload(
  dockerReference: string,
  digest: Digest,
  annotations?: Record<string, string>,
): Buffer {
  const payload: SimpleSigningPayload = {
    critical: {
      identity: { 'docker-reference': dockerReference },
      image: { 'docker-manifest-digest': digest },
      type: COSIGN_SIGNATURE_TYPE,
    },
    optional: annotations && Object.keys(annotations).length > 0 ? sortedKeys(annotations) : null,
  };
  return Buffer.from(goJson(payload), 'utf8');
}

/** Parses and validates a payload; every missing or mistyped field is an error naming it. */
export function parseSimpleSigningPayload(bytes: Uint8Array, where: string): SimpleSigningPayload {
  const value = parseJson(bytes, where);
  const critical = isRecord(value) ? value.critical : undefined;
  if (!isRecord(value) || !isRecord(critical)) {
    throw new SigilError('PAYLOAD_MISMATCH', `${where}: payload has no "critical" object`);
  }
  if (critical.type !== COSIGN_SIGNATURE_TYPE) {
    throw new SigilError(
      'PAYLOAD_MISMATCH',
      `${where}: payload type is ${JSON.stringify(critical.type)}, expected "${COSIGN_SIGNATURE_TYPE}"`,
    );
  }
  const reference = isRecord(critical.identity) ? critical.identity['docker-reference'] : undefined;
  if (typeof reference !== 'string') {
    throw new SigilError('PAYLOAD_MISMATCH', `${where}: payload has no critical.identity.docker-reference`);
  }
  const digest = isRecord(critical.image) ? critical.image['docker-manifest-digest'] : undefined;
  if (typeof digest !== 'string' || !isDigest(digest)) {
    throw new SigilError(
      'PAYLOAD_MISMATCH',
      `${where}: payload has no valid critical.image.docker-manifest-digest`,
    );
  }
  const optional = value.optional ?? null;
  if (optional !== null && !isRecord(optional)) {
    throw new SigilError('PAYLOAD_MISMATCH', `${where}: payload "optional" is neither an object nor null`);
  }
  return {
    critical: {
      identity: { 'docker-reference': reference },
      image: { 'docker-manifest-digest': digest },
      type: COSIGN_SIGNATURE_TYPE,
    },
    optional,
  };
}

/**
 * cosign's annotation check: every required key must be present in `optional` with the same value
 * (compared as strings, since `-a` values are strings on both sides).
 */
export function missingAnnotations(
  payload: SimpleSigningPayload,
  required: Record<string, string>,
): string[] {
  return Object.entries(required)
    .filter(([key, want]) => {
      const got = payload.optional?.[key];
      return got === undefined || String(got) !== want;
    })
    .map(([key, want]) => `${key}=${want}`);
}
