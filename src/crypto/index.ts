export * from './encrypted-key.js';
export * from './keys.js';
export * from './prehashed.js';
export * from './signer.js';
