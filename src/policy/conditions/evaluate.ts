import { SigilError } from '../../core/errors.js';
import {
  applyOperator,
  type ConditionOperator,
  conditionOperators,
  isConditionOperator,
} from './operators.js';
import { substituteVariables, substituteVariablesAt, VariableResolutionError } from './substitute.js';
import type { AnyAllConditions, Condition, ConditionOutcome } from './types.js';

type Verdict = { passed: true } | { passed: false; reason: string };

const PASSED: ConditionOutcome = { passed: true, message: '' };

/**
 * Evaluates Kyverno condition blocks over `data`: every block must pass; within a block every `all` condition and,
 * when `any` is non-empty, at least one `any` condition. A variable that selects nothing fails its condition (fail
 * closed) with the substitution error as the reason. Throws SigilError BAD_INPUT for an unknown operator.
 */
export function evaluateConditions(blocks: AnyAllConditions[], data: unknown): ConditionOutcome {
  checkOperators(blocks);
  for (const [b, block] of blocks.entries()) {
    for (const [i, condition] of (block.all ?? []).entries()) {
      const verdict = evaluateCondition(condition, data, `conditions[${b}].all[${i}]`);
      if (!verdict.passed) return { passed: false, message: verdict.reason };
    }
    const any = block.any ?? [];
    if (any.length === 0) continue;
    const reasons: string[] = [];
    for (const [i, condition] of any.entries()) {
      const verdict = evaluateCondition(condition, data, `conditions[${b}].any[${i}]`);
      if (verdict.passed) break;
      reasons.push(verdict.reason);
    }
    if (reasons.length === any.length)
      return { passed: false, message: `none of conditions[${b}].any passed: ${reasons.join('; ')}` };
  }
  return PASSED;
}

/** A misspelt operator is a policy error wherever it sits, not only when evaluation happens to reach it. */
function checkOperators(blocks: AnyAllConditions[]): void {
  for (const [b, block] of blocks.entries()) {
    for (const part of ['all', 'any'] as const) {
      for (const [i, condition] of (block[part] ?? []).entries()) {
        if (!isConditionOperator(condition.operator)) {
          throw new SigilError(
            'BAD_INPUT',
            `conditions[${b}].${part}[${i}].operator: unknown operator ${JSON.stringify(condition.operator)}`,
            `use one of ${conditionOperators.join(', ')}`,
          );
        }
      }
    }
  }
}

function evaluateCondition(condition: Condition, data: unknown, where: string): Verdict {
  const operator = condition.operator as ConditionOperator; // checkOperators has vouched for it
  let key: unknown;
  let value: unknown;
  try {
    key = substituteVariablesAt(condition.key, data, '/key');
  } catch (err) {
    return unresolved(condition, data, where, 'key', err);
  }
  try {
    value = substituteVariablesAt(condition.value, data, '/value');
  } catch (err) {
    return unresolved(condition, data, where, 'value', err);
  }
  if (applyOperator(operator, key, value)) return { passed: true };
  const described = `${where}: ${describe(condition.key, key)} ${operator} ${describe(condition.value, value)} is false`;
  return { passed: false, reason: withMessage(condition, data, described) };
}

/** A side that did not resolve fails its condition, worded as Kyverno words it. */
function unresolved(
  condition: Condition,
  data: unknown,
  where: string,
  side: 'key' | 'value',
  err: unknown,
): Verdict {
  if (!(err instanceof VariableResolutionError)) throw err;
  const described = `${where}: failed to substitute variables in condition ${side}: ${err.detail}`;
  return { passed: false, reason: withMessage(condition, data, described) };
}

/** Longest rendering of a value in a message: a whole predicate would drown the reason in an admission response. */
const SHOWN_LIMIT = 200;

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? 'null';
  return text.length > SHOWN_LIMIT ? `${text.slice(0, SHOWN_LIMIT)}…` : text;
}

/** The resolved value, with the expression it came from when it was substituted. */
function describe(written: unknown, resolved: unknown): string {
  const shown = show(resolved);
  return typeof written === 'string' && written !== resolved
    ? `${shown} (from ${JSON.stringify(written)})`
    : shown;
}

/** The policy author's message (itself substituted, as Kyverno does) leads; our description of the failure follows. */
function withMessage(condition: Condition, data: unknown, described: string): string {
  if (condition.message === undefined || condition.message === '') return described;
  let message: unknown = condition.message;
  try {
    message = substituteVariables(condition.message, data);
  } catch {
    // The author's message names a variable the data lacks: show it as written rather than lose the failure.
  }
  return `${typeof message === 'string' ? message : show(message)} (${described})`;
}
