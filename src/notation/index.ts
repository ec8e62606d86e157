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
export * from './media-types.js';
export * from './payload.js';
export * from './trust-policy.js';
export * from './trust-store.js';
export * from './verify.js';
export * from './verify-options.js';
