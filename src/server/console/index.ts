export * from './notation-signatures.js';
export * from './predicates.js';
export * from './server.js';
export * from './supply-chain.js';
export * from './verify-image.js';
