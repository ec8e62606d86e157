export * from './claims.js';
export * from './dev-issuer.js';
