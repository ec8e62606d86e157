/** One Kyverno condition: `key <operator> value`, both sides after `{{ }}` substitution. */
export interface Condition {
  key: unknown;
  operator: string;
  value?: unknown;
  message?: string;
}

/** A Kyverno condition block: every `all` condition must hold and, if `any` is present, at least one of it. */
export interface AnyAllConditions {
  any?: Condition[];
  all?: Condition[];
}

/** `message` says which condition failed and why; '' when passed. */
export interface ConditionOutcome {
  passed: boolean;
  message: string;
}
