export * from './blob.js';
export * from './bundle-referrers.js';
export * from './keyless.js';
export * from './keys.js';
export * from './sign.js';
export * from './signature-image.js';
export * from './signature-repository.js';
export * from './verify.js';
