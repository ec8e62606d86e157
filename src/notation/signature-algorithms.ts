/**
 * The hash each signature algorithm OID (of an OCSP response, a CRL, a timestamp's SignerInfo) signs
 * with; null where the key type decides alone (Ed25519), `digest` where a SignerInfo names only the key
 * type (rsaEncryption, id-ecPublicKey) and its digest algorithm gives the hash.
 */
export const SIGNATURE_HASHES: Readonly<Record<string, string | null | 'digest'>> = {
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.3.101.112': null,
  '1.2.840.113549.1.1.1': 'digest',
  '1.2.840.10045.2.1': 'digest',
};
