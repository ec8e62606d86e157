import { isSigilError, messageOf, SigilError } from '../../core/errors.js';
import { isRecord } from '../../core/json.js';
import { queryJmesPath } from './jmespath.js';

/** `{{ expression }}` not preceded by a backslash; one level of `{...}` inside is allowed (JMESPath multiselect hashes). */
const VARIABLE = /(?<!\\)\{\{((?:\{[^{}]*\}|[^{}])*)\}\}/g;
const WHOLE_VARIABLE = /^\{\{((?:\{[^{}]*\}|[^{}])*)\}\}$/;
const ESCAPED_VARIABLE = /\\(\{\{(?:\{[^{}]*\}|[^{}])*\}\})/g;
/** Nested variables (`{{ a.{{ b }} }}`) resolve inside out, one level per pass; deeper nesting than this is refused. */
const MAX_NESTING = 8;

/** A variable that could not be resolved; `detail` is Kyverno's wording without the "variable substitution failed" lead. */
export class VariableResolutionError extends SigilError {
  constructor(readonly detail: string) {
    super(
      'BAD_INPUT',
      `variable substitution failed: ${detail}`,
      'check the spelling against the data, or give a default with `||`, e.g. {{ a.b || `0` }}',
    );
  }
}

/**
 * Replaces every `{{ expression }}` in the strings of `value` (at any depth) with its JMESPath result over `data`, as
 * Kyverno does: a string that is exactly one variable takes the result's JSON type, an embedded variable is spliced
 * in as text (strings as they are, other values as JSON), nested variables resolve inside out, and an escaped
 * `\{{ … }}` is not evaluated but written without its backslash.
 * Throws VariableResolutionError (BAD_INPUT) naming the variable and its path when it fails or selects nothing.
 */
export function substituteVariables<T>(value: T, data: unknown): T {
  return substituteAt(value, data, '') as T;
}

/** substituteVariables for a value that sits at `basePath` (a JSON pointer) in a larger document, so errors name its place. */
export function substituteVariablesAt<T>(value: T, data: unknown, basePath: string): T {
  return substituteAt(value, data, basePath) as T;
}

function substituteAt(value: unknown, data: unknown, path: string): unknown {
  if (typeof value === 'string') return substituteString(value, data, path || '/');
  if (Array.isArray(value)) return value.map((item, i) => substituteAt(item, data, `${path}/${i}`));
  if (isRecord(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value))
      out[key] = substituteAt(item, data, `${path}/${escapePointer(key)}`);
    return out;
  }
  return value;
}

function substituteString(text: string, data: unknown, path: string): unknown {
  if (!text.includes('{{')) return text;
  let current = text;
  for (let depth = 0; depth < MAX_NESTING; depth++) {
    const whole = WHOLE_VARIABLE.exec(current);
    if (whole !== null) return resolve(whole[1] ?? '', data, path);
    const next = current.replace(VARIABLE, (_all, expression: string) => {
      const result = resolve(expression, data, path);
      return typeof result === 'string' ? result : JSON.stringify(result);
    });
    if (next === current) return current.replace(ESCAPED_VARIABLE, '$1');
    current = next;
  }
  throw new VariableResolutionError(
    `failed to resolve ${JSON.stringify(text)} at path ${path}: variables nested more than ${MAX_NESTING} deep`,
  );
}

function resolve(expression: string, data: unknown, path: string): unknown {
  const variable = expression.trim();
  let result: unknown;
  try {
    result = queryJmesPath(variable, data);
  } catch (err) {
    throw new VariableResolutionError(
      `failed to resolve ${variable} at path ${path}: ${isSigilError(err) ? err.message : messageOf(err)}`,
    );
  }
  // Kyverno's JMESPath reports a missing key as an error; ours yields null, which we refuse alike (fail closed).
  if (result === null || result === undefined) {
    throw new VariableResolutionError(
      `failed to resolve ${variable} at path ${path}: JMESPath query selected nothing`,
    );
  }
  return result;
}

function escapePointer(key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1');
}
