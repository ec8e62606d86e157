export * from './blob.js';
export * from './claims.js';
