export * from './bundle.js';
export * from './cosign-layout.js';
export * from './dsse.js';
export * from './simple-signing.js';
