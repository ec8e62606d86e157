export * from './canonical.js';
export * from './client.js';
export * from './keys.js';
export * from './metadata.js';
export * from './publish.js';
export * from './repository.js';
export * from './server.js';
