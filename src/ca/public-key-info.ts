/**
 * The SubjectPublicKeyInfo a certificate carries for the key it certifies, without paying for an export
 * when the request already holds it in exactly that form.
 */
import type { KeyObject } from 'node:crypto';

/**
 * SubjectPublicKeyInfo prefixes of named-curve EC keys with an uncompressed point: the form
 * `export({ type: 'spki' })` writes (a point byte 0x04 and the two coordinates follow).
 */
const EC_SPKI_PREFIXES: Record<string, { prefix: Buffer; coordinate: number }> = {
  prime256v1: {
    prefix: Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex'),
    coordinate: 32,
  },
  secp384r1: { prefix: Buffer.from('3076301006072a8648ce3d020106052b81040022036200', 'hex'), coordinate: 48 },
  secp521r1: {
    prefix: Buffer.from('30819b301006072a8648ce3d020106052b8104002303818600', 'hex'),
    coordinate: 66,
  },
};

/**
 * The DER the certificate carries for `key`: what `key.export` writes. Exporting costs as much as an
 * ECDSA signature, so the request's own DER (from which `key` was parsed) is used when it already is
 * that exact encoding, which for EC keys is a fixed prefix and an uncompressed point.
 */
/** `der`, when given, must be the DER `key` was parsed from. */
export function subjectPublicKeyInfo(key: KeyObject, der: Buffer | undefined): Buffer {
  const form = EC_SPKI_PREFIXES[key.asymmetricKeyDetails?.namedCurve ?? ''];
  if (
    der &&
    form &&
    key.asymmetricKeyType === 'ec' &&
    der.length === form.prefix.length + 1 + 2 * form.coordinate &&
    der.subarray(0, form.prefix.length).equals(form.prefix) &&
    der[form.prefix.length] === 0x04
  ) {
    return der;
  }
  return key.export({ type: 'spki', format: 'der' });
}
