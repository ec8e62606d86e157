/** Object identifiers of RFC 3161 (TSP), RFC 5652 (CMS), RFC 5035 (ESS) and the hashes a request may name. */
export const OID = {
  signedData: '1.2.840.113549.1.7.2',
  tstInfo: '1.2.840.113549.1.9.16.1.4',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
  timeStamping: '1.3.6.1.5.5.7.3.8',
  /** The policy sigstore's timestamp-authority stamps under by default. */
  sigstorePolicy: '1.3.6.1.4.1.57264.2',
} as const;

export type HashName = 'sha256' | 'sha384' | 'sha512';

/**
 * The hashes a TSA accepts for a message imprint: SHA-2 only, as sigstore's timestamp-authority does
 * (SHA-1 is refused as weak). `length` lets a request with a truncated or padded digest be refused.
 */
export const HASHES: Record<HashName, { oid: string; length: number }> = {
  sha256: { oid: '2.16.840.1.101.3.4.2.1', length: 32 },
  sha384: { oid: '2.16.840.1.101.3.4.2.2', length: 48 },
  sha512: { oid: '2.16.840.1.101.3.4.2.3', length: 64 },
};

export function hashByOid(oid: string): HashName | undefined {
  return (Object.keys(HASHES) as HashName[]).find((name) => HASHES[name].oid === oid);
}

export function isHashName(value: string): value is HashName {
  return Object.hasOwn(HASHES, value);
}
