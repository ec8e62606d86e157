export * from './conditions/index.js';
export * from './evaluate.js';
export * from './image-verify-cache.js';
export {
  loadPolicies,
  policyFiles,
  readKyvernoPolicy as readPolicyDocument,
  yamlDocuments,
} from './kyverno/read.js';
export * from './match.js';
export * from './model.js';
export * from './registry-access.js';
export * from './report.js';
export * from './resource.js';
export * from './verify-attestors.js';
