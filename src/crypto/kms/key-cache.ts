/**
 * Public keys of KMS keys for policies: an admission controller verifies many images against the same
 * `kms:` key, so the key is fetched once and kept for KMS_KEY_TTL_MS (cosign's providers keep theirs 300 s
 * too). Failures are never cached: the next verification asks the KMS again, and until one answers, every
 * verification against that key fails (closed). Entries are keyed by the exact URI: two URIs never share a
 * key, and a key rotated behind the same URI is picked up when its entry expires.
 */
import type { KeyObject } from 'node:crypto';

export const KMS_KEY_TTL_MS = 300_000;

interface Entry {
  key: Promise<KeyObject>;
  expires: number;
}

const cache = new Map<string, Entry>();

export async function cachedKmsPublicKey(
  uri: string,
  fetchKey: (uri: string) => Promise<KeyObject>,
  now: () => number = Date.now,
): Promise<KeyObject> {
  const hit = cache.get(uri);
  if (hit && hit.expires > now()) return hit.key;
  // The promise is cached, so concurrent verifications share one fetch; a failed fetch is dropped.
  const key = fetchKey(uri);
  cache.set(uri, { key, expires: now() + KMS_KEY_TTL_MS });
  try {
    return await key;
  } catch (err) {
    if (cache.get(uri)?.key === key) cache.delete(uri);
    throw err;
  }
}

/** Forgets every cached key (tests; a controller reloading its policies). */
export function clearKmsKeyCache(): void {
  cache.clear();
}
