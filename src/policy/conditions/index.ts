/**
 * Kyverno-style conditions: `{{ }}` variable substitution with JMESPath (plus Kyverno's custom
 * functions) and any/all condition blocks with Kyverno's operators. Shared by
 * `verify-attestation --policy` and the admission policy engine.
 */

export { evaluateConditions } from './evaluate.js';
export { queryJmesPath } from './jmespath.js';
export { anyAllConditionsSchema, conditionOperators, conditionSchema } from './schema.js';
export { substituteVariables } from './substitute.js';
export type { AnyAllConditions, Condition, ConditionOutcome } from './types.js';
export { wildcardMatch, wildcardSource } from './wildcard.js';
