export * from './encrypted-key.js';
export * from './keys.js';
export * from './pkcs11.js';
export * from './pkcs11-certificates.js';
export * from './pkcs11-inventory.js';
export * from './pkcs11-uri.js';
export * from './prehashed.js';
export * from './signer.js';
