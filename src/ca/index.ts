export * from './authority.js';
export * from './client.js';
export * from './config.js';
export * from './material.js';
export * from './profile.js';
export * from './request.js';
export * from './server.js';
export * from './token-verifier.js';
