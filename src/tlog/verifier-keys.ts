/**
 * The public keys named by Rekor v2 verifiers, parsed once per distinct DER. A log sees the same signers'
 * keys again and again, and parsing the DER into a KeyObject and re-encoding it for its search fingerprint
 * cost more than checking the signature: about 40% of a verify worker's time on dsse 0.0.2 in bench tlog.
 *
 * The cache maps the exact bytes, and the label they came under, to what parsing them gives; only keys that
 * were accepted are kept, so a refused key is refused anew every time. Certificates are not kept: each
 * keyless signature brings a fresh one, which would only push the long-lived keys out. Checking that the
 * bytes are the key's canonical DER is then paid once per key too.
 */
import { createPublicKey, type KeyObject, X509Certificate } from 'node:crypto';
import { BoundedMap, messageOf, SigilError, sha256 } from '../core/index.js';
import { assertSupportedKey } from '../crypto/index.js';
import { certificateSearchKeys } from './entry-keys.js';

export interface VerifierKey {
  key: KeyObject;
  /** The search key Rekor files the entry under: `key:` + SHA-256 of the SubjectPublicKeyInfo DER. */
  fingerprint: string;
  /** For a certificate: its identity search keys (`email:`, `subject:`, `issuer:`); none for a bare key. */
  identityKeys: string[];
}

/** Distinct bare keys remembered (per thread); the least recently used goes first. */
export const VERIFIER_KEY_CACHE_SIZE = 1024;
const cache = new BoundedMap<string, VerifierKey>(VERIFIER_KEY_CACHE_SIZE);

function reject(reason: string): never {
  throw new SigilError('BAD_INPUT', reason);
}

/**
 * The key in `raw`, labelled a certificate or a public key by the request. Clients label a bare
 * SubjectPublicKeyInfo as `x509Certificate` too (@sigstore/sign does for key-based signing), so DER under that
 * label that is not a certificate is read as a public key; under the `publicKey` label it must be one.
 */
export function verifierKey(raw: Buffer, labelledCertificate: boolean, path: string): VerifierKey {
  if (raw.length === 0) reject(`${path} has no public key or certificate`);
  const cacheKey = `${labelledCertificate ? 'certificate' : 'publicKey'}:${raw.toString('latin1')}`;
  const cached = cache.get(cacheKey);
  if (cached) return cached;
  const certificate = labelledCertificate ? parseCertificate(raw) : undefined;
  let key: KeyObject;
  try {
    key = certificate ? certificate.publicKey : createPublicKey({ key: raw, format: 'der', type: 'spki' });
  } catch (err) {
    return reject(`${path} is not a DER certificate or public key (${messageOf(err).split('\n')[0]})`);
  }
  try {
    assertSupportedKey(key, path);
  } catch (err) {
    return reject(messageOf(err));
  }
  if (certificate) {
    // OpenSSL reads a certificate and ignores what follows it; Go's x509 (rekor-tiles) refuses trailing data.
    if (certificate.raw.length !== raw.length)
      reject(`${path} has ${raw.length - certificate.raw.length} bytes after its certificate`);
    return {
      key,
      fingerprint: `key:${sha256(key.export({ type: 'spki', format: 'der' })).toString('hex')}`,
      identityKeys: certificateSearchKeys(certificate),
    };
  }
  // OpenSSL also takes trailing bytes after a SubjectPublicKeyInfo, and compressed EC points, both of which
  // Go's x509 (rekor-tiles) refuses, and either would let one key be logged under many byte strings. So the
  // bytes must be the key's one DER form: the SPKI rebuilt from its bare parameters (JWK).
  const canonical = createPublicKey({ key: key.export({ format: 'jwk' }), format: 'jwk' }).export({
    type: 'spki',
    format: 'der',
  });
  if (!canonical.equals(raw))
    reject(`${path} is not in DER SubjectPublicKeyInfo form (trailing bytes, or a compressed EC point)`);
  const found = { key, fingerprint: `key:${sha256(raw).toString('hex')}`, identityKeys: [] };
  cache.set(cacheKey, found);
  return found;
}

function parseCertificate(der: Buffer): X509Certificate | undefined {
  try {
    return new X509Certificate(der);
  } catch {
    return undefined;
  }
}
