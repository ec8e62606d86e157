export * from './predicates.js';
export * from './server.js';
export * from './supply-chain.js';
