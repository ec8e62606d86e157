export * from './console/index.js';
export * from './stack.js';
