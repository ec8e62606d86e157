/**
 * `verify --output json`: cosign's array of verified payloads, each decoded and re-encoded as Go does,
 * with what cosign adds to `optional` from the signature layer: the log's `Bundle` (SignedEntryTimestamp
 * and entry) and the `RFC3161Timestamp`, so scripts that read those fields work on sigil's output too.
 */
import { goJson, sortedKeys } from '../core/index.js';
import {
  ANNOTATION_BUNDLE,
  ANNOTATION_RFC3161_TIMESTAMP,
  parseRekorBundle,
  parseTimestampAnnotation,
} from '../formats/index.js';
import type { ImageVerification, VerifiedSignature } from './verify.js';

export function verificationJson(result: ImageVerification): string {
  return goJson(
    result.verified.map((signature) => ({
      critical: signature.claims.critical,
      optional: optionalClaims(signature),
    })),
  );
}

/** The payload's `optional` map plus the layer's log and timestamp evidence; null as Go writes a nil map. */
function optionalClaims({ claims, layer }: VerifiedSignature): Record<string, unknown> | null {
  const added: Record<string, unknown> = {};
  const logged = layer.annotations?.[ANNOTATION_BUNDLE];
  // Parsed into the struct's field order (cosign re-encodes its RekorBundle struct, not the raw text).
  if (logged) added.Bundle = parseRekorBundle(logged, ANNOTATION_BUNDLE);
  const timestamp = layer.annotations?.[ANNOTATION_RFC3161_TIMESTAMP];
  if (timestamp) {
    added.RFC3161Timestamp = {
      SignedRFC3161Timestamp: parseTimestampAnnotation(timestamp, ANNOTATION_RFC3161_TIMESTAMP),
    };
  }
  if (!claims.optional && Object.keys(added).length === 0) return null;
  // A Go map: keys in byte order; the payload's own values are maps too, the added ones are structs.
  const own = sortedKeys(claims.optional ?? {});
  const merged = { ...own, ...added };
  return Object.fromEntries(
    Object.keys(merged)
      .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
      .map((key) => [key, merged[key]]),
  );
}
