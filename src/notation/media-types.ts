/** The names the Notary Project specifications give to payloads, envelopes, artifacts and attributes. */
export const NOTATION_PAYLOAD = 'application/vnd.cncf.notary.payload.v1+json';
export const JWS_ENVELOPE = 'application/jose+json';
export const COSE_ENVELOPE = 'application/cose';
export const NOTATION_ARTIFACT_TYPE = 'application/vnd.cncf.notary.signature';
export const THUMBPRINT_ANNOTATION = 'io.cncf.notary.x509chain.thumbprint#S256';
export const CREATED_ANNOTATION = 'org.opencontainers.image.created';

export const SIGNING_SCHEME = 'io.cncf.notary.signingScheme';
export const SIGNING_TIME = 'io.cncf.notary.signingTime';
export const AUTHENTIC_SIGNING_TIME = 'io.cncf.notary.authenticSigningTime';
export const EXPIRY = 'io.cncf.notary.expiry';
export const SIGNING_AGENT = 'io.cncf.notary.signingAgent';
export const TIMESTAMP_SIGNATURE = 'io.cncf.notary.timestampSignature';

export type SignatureFormat = 'jws' | 'cose';
export type SigningScheme = 'notary.x509' | 'notary.x509.signingAuthority';
export const SIGNING_SCHEMES: readonly SigningScheme[] = ['notary.x509', 'notary.x509.signingAuthority'];

export function envelopeMediaType(format: SignatureFormat): string {
  return format === 'jws' ? JWS_ENVELOPE : COSE_ENVELOPE;
}
