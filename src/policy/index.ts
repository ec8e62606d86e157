export * from './conditions/index.js';
