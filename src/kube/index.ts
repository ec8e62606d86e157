export * from './client.js';
export * from './config.js';
export * from './key-secrets.js';
export * from './transport.js';
