export * from './canonical-json.js';
export * from './digest.js';
export * from './encoding.js';
export * from './errors.js';
export * from './files.js';
export * from './go-json.js';
export * from './json.js';
export * from './pem.js';
