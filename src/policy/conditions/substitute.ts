import { isSigilError, messageOf, SigilError } from '../../core/errors.js';
import { isRecord } from '../../core/json.js';
import { queryJmesPath } from './jmespath.js';

/** `{{ expression }}` not preceded by a backslash; one level of `{...}` inside is allowed (JMESPath multiselect hashes). */
const VARIABLE = /(?<!\\)\{\{((?:\{[^{}]*\}|[^{}])*)\}\}/g;
const WHOLE_VARIABLE = /^\{\{((?:\{[^{}]*\}|[^{}])*)\}\}$/;

/**
 * Replaces every `{{ expression }}` in the strings of `value` (at any depth) with its JMESPath result over `data`, as
 * Kyverno does: a string that is exactly one variable takes the result's JSON type, an embedded variable is spliced
 * in as text (strings as they are, other values as JSON), and `\{{ … }}` is left alone.
 * Throws SigilError BAD_INPUT "variable substitution failed: …" naming the variable and its path when it selects nothing.
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
  const whole = WHOLE_VARIABLE.exec(text.trim());
  if (whole !== null) return resolve(whole[1] ?? '', data, path);
  return text.replace(VARIABLE, (_all, expression: string) => {
    const result = resolve(expression, data, path);
    return typeof result === 'string' ? result : JSON.stringify(result);
  });
}

function resolve(expression: string, data: unknown, path: string): unknown {
  const variable = `{{${expression}}}`;
  let result: unknown;
  try {
    result = queryJmesPath(expression.trim(), data);
  } catch (err) {
    const reason = isSigilError(err) ? err.message : messageOf(err);
    throw new SigilError(
      'BAD_INPUT',
      `variable substitution failed: failed to resolve ${variable} at path ${path}: ${reason}`,
    );
  }
  if (result === null || result === undefined) {
    throw new SigilError(
      'BAD_INPUT',
      `variable substitution failed: failed to resolve ${variable} at path ${path}: it selects nothing`,
      'check the spelling against the data, or give a default with `||`, e.g. {{ a.b || `0` }}',
    );
  }
  return result;
}

function escapePointer(key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1');
}
