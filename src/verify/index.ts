export * from './blob.js';
export * from './blob-attestation.js';
export * from './certificate-identity.js';
export * from './claims.js';
export * from './identity-policy.js';
export * from './keyless.js';
export * from './signed-entity.js';
export * from './trust-overrides.js';
