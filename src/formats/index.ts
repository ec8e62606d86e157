export * from './bundle.js';
export * from './cosign-layout.js';
export * from './dsse.js';
export * from './in-toto.js';
export * from './provenance.js';
export * from './rekor-bundle.js';
export * from './simple-signing.js';
export * from './trust-config.js';
