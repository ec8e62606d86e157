/** The Notary Project (Notation) workflows beside cosign/: signature format, trust policy and store, sign and verify. */
export * from './algorithms.js';
export * from './cert-chain.js';
export * from './certificate.js';
export * from './config-dir.js';
export * from './distinguished-name.js';
export * from './envelope.js';
export type { NotationSigner, SignRequest } from './envelope-content.js';
export { createCoseEnvelope } from './envelope-cose.js';
export { createJwsEnvelope } from './envelope-jws.js';
export * from './inspect.js';
export * from './media-types.js';
export * from './payload.js';
export {
  type CertificateRevocation,
  type ChainPurpose,
  checkChainRevocation,
  createRevocationChecker,
  type RevocationOptions,
  type RevocationVerdict,
  revocationVerdict,
  verifyChainRevocation,
} from './revocation.js';
export * from './sign.js';
export * from './signature-manifest.js';
export * from './signer.js';
export * from './signing-keys.js';
export * from './test-certificate.js';
export {
  createTimestampVerifier,
  requestTimestampToken,
  type TimestampRequestOptions,
  type TimestampTokenInfo,
  tokenOfResponse,
  verifyTimestampToken,
} from './timestamp.js';
export * from './trust-policy.js';
export * from './trust-store.js';
export * from './verify.js';
export * from './verify-options.js';
export * from './verify-reference.js';
