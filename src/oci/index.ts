export * from './client.js';
export * from './credentials.js';
export * from './manifest.js';
export * from './media-types.js';
export * from './reference.js';
export * from './referrers.js';
export * from './registry/index.js';
export * from './test-image.js';
