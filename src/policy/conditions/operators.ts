import { isDeepStrictEqual } from 'node:util';
import { parseGoDuration } from './duration.js';
import { parseQuantity } from './quantity.js';
import { compareSemVer, parseSemVer } from './semver.js';
import { wildcardMatch } from './wildcard.js';

/**
 * Kyverno's condition operators, each `(key, value) => boolean` after substitution, with Kyverno's type rules:
 * numbers compare with numeric strings, strings compare as durations, then as resource quantities, then (for
 * equality) as wildcard patterns; set operators read the value as an array, a JSON array string, a single string
 * or a numeric range (`1-5`, `1!-5`).
 */
type Operator = (key: unknown, value: unknown) => boolean;

// ---- scalars ------------------------------------------------------------------------------------------------

const FLOAT = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Go's strconv.ParseFloat for the forms policies write (no hex, no inf). */
function parseNumber(text: string): number | undefined {
  return FLOAT.test(text) ? Number(text) : undefined;
}

/** A duration written with a unit; a bare "0" is only a duration when the other side is one. */
function durationWithUnit(value: unknown): number | undefined {
  return typeof value === 'string' && /[a-zµμ]/.test(value) ? parseGoDuration(value) : undefined;
}

/** Both sides as seconds when at least one is a duration string and the other a duration or a number of seconds. */
function durationPair(key: unknown, value: unknown): [number, number] | undefined {
  const k = durationWithUnit(key);
  const v = durationWithUnit(value);
  if (k === undefined && v === undefined) return undefined;
  const asSeconds = (side: unknown, parsed: number | undefined) =>
    parsed ??
    (typeof side === 'number' ? side : typeof side === 'string' ? parseGoDuration(side) : undefined);
  const ks = asSeconds(key, k);
  const vs = asSeconds(value, v);
  return ks === undefined || vs === undefined ? undefined : [ks, vs];
}

// ---- equality -----------------------------------------------------------------------------------------------

function equals(key: unknown, value: unknown): boolean {
  if (typeof key === 'boolean') return value === key;
  if (typeof key === 'number') {
    if (typeof value === 'number') return value === key;
    return typeof value === 'string' && parseNumber(value) === key;
  }
  if (typeof key === 'string') {
    const durations = durationPair(key, value);
    if (durations !== undefined) return durations[0] === durations[1];
    const keyQuantity = parseQuantity(key);
    // Kyverno: once the key reads as a quantity, a string value is compared as a quantity or not at all (no wildcards).
    if (keyQuantity !== undefined && typeof value === 'string')
      return parseQuantity(value)?.value === keyQuantity.value;
    return typeof value === 'string' && wildcardMatch(value, key);
  }
  if (Array.isArray(key)) return Array.isArray(value) && isDeepStrictEqual(key, value);
  if (key !== null && typeof key === 'object') {
    return (
      value !== null && typeof value === 'object' && !Array.isArray(value) && isDeepStrictEqual(key, value)
    );
  }
  return false;
}

// ---- ordering -----------------------------------------------------------------------------------------------

type Comparison = (order: number) => boolean;

/** The sign of key - value, or undefined when the two cannot be compared (which makes the condition false). */
function numericOrder(key: unknown, value: unknown): number | undefined {
  const durations = durationPair(key, value);
  if (durations !== undefined) return Math.sign(durations[0] - durations[1]);
  if (typeof key === 'number') {
    const v = typeof value === 'number' ? value : typeof value === 'string' ? parseNumber(value) : undefined;
    return v === undefined ? undefined : Math.sign(key - v);
  }
  if (typeof key !== 'string') return undefined;
  if (typeof value === 'string') {
    const kq = parseQuantity(key);
    const vq = parseQuantity(value);
    if (kq !== undefined && vq !== undefined) return Math.sign(kq.value - vq.value);
  }
  const keyNumber = parseNumber(key);
  if (keyNumber !== undefined) return numericOrder(keyNumber, value);
  const keyVersion = parseSemVer(key);
  const valueVersion = typeof value === 'string' ? parseSemVer(value) : undefined;
  return keyVersion !== undefined && valueVersion !== undefined
    ? compareSemVer(keyVersion, valueVersion)
    : undefined;
}

function ordered(accept: Comparison): Operator {
  return (key, value) => {
    const order = numericOrder(key, value);
    return order !== undefined && accept(order);
  };
}

/** Duration operators: numbers are seconds, strings must be Go durations. */
function durationSeconds(side: unknown): number | undefined {
  if (typeof side === 'number') return side;
  return typeof side === 'string' ? parseGoDuration(side) : undefined;
}

function durationOrdered(accept: Comparison): Operator {
  return (key, value) => {
    const k = durationSeconds(key);
    const v = durationSeconds(value);
    return k !== undefined && v !== undefined && accept(Math.sign(k - v));
  };
}

// ---- sets ---------------------------------------------------------------------------------------------------

/** How a set operator's value reads: a list of patterns, or a numeric range test. */
type ValueSet =
  | { kind: 'list'; items: string[] }
  | { kind: 'range'; contains: (key: string) => boolean }
  | { kind: 'invalid' };

const RANGE = /^(-?\d+(?:\.\d+)?)(!?-)(-?\d+(?:\.\d+)?)$/;

function asText(item: unknown): string {
  return typeof item === 'string'
    ? item
    : typeof item === 'object' && item !== null
      ? JSON.stringify(item)
      : String(item);
}

function readValueSet(value: unknown): ValueSet {
  if (Array.isArray(value)) return { kind: 'list', items: value.map(asText) };
  if (typeof value === 'number' || typeof value === 'boolean')
    return { kind: 'list', items: [String(value)] };
  if (typeof value !== 'string') return { kind: 'invalid' };
  const range = RANGE.exec(value);
  if (range !== null) {
    const low = Number(range[1]);
    const high = Number(range[3]);
    const inside = range[2] === '-';
    return {
      kind: 'range',
      contains: (key) => {
        const n = parseNumber(key);
        return n !== undefined && (n >= low && n <= high) === inside;
      },
    };
  }
  // Kyverno reads a string holding a JSON array (e.g. a ConfigMap entry) as that array.
  if (value.trimStart().startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(value);
      if (Array.isArray(parsed) && parsed.every((item) => typeof item === 'string'))
        return { kind: 'list', items: parsed };
      return { kind: 'invalid' };
    } catch {
      // Not JSON after all: it is a single literal.
    }
  }
  return { kind: 'list', items: [value] };
}

/** The key as the list of strings the set operators compare, or undefined for maps and null. */
function readKeySet(key: unknown): string[] | undefined {
  if (Array.isArray(key)) return key.map(asText);
  if (typeof key === 'string' || typeof key === 'number' || typeof key === 'boolean') return [String(key)];
  return undefined;
}

function memberOf(set: ValueSet & { kind: 'list' | 'range' }, key: string): boolean {
  if (set.kind === 'range') return set.contains(key);
  return set.items.some((item) => wildcardMatch(item, key) || wildcardMatch(key, item));
}

function setOperator(quantifier: 'any' | 'all', wantMember: boolean): Operator {
  return (key, value) => {
    const keys = readKeySet(key);
    const set = readValueSet(value);
    if (keys === undefined || set.kind === 'invalid') return false;
    const test = (k: string) => memberOf(set, k) === wantMember;
    return quantifier === 'any' ? keys.some(test) : keys.every(test);
  };
}

/**
 * The deprecated In / NotIn, which predate the set operators and keep their own rules: a scalar key is matched
 * as a wildcard pattern against a list value (or the value string as a pattern against it, or membership in a
 * JSON array string); an array key must be a subset of the value, compared exactly. Undefined when the types do
 * not fit, which fails both In and NotIn.
 */
function inMembership(key: unknown, value: unknown): { all: boolean; any: boolean } | undefined {
  const jsonStrings = (text: string): string[] | undefined => {
    try {
      const parsed: unknown = JSON.parse(text);
      return Array.isArray(parsed) && parsed.every((item) => typeof item === 'string') ? parsed : undefined;
    } catch {
      return undefined;
    }
  };
  if (typeof key === 'string' || typeof key === 'number') {
    const k = String(key);
    let found: boolean | undefined;
    if (Array.isArray(value)) found = value.some((item) => wildcardMatch(k, asText(item)));
    else if (typeof value === 'string') found = wildcardMatch(value, k) || jsonStrings(value)?.includes(k);
    return found === undefined ? undefined : { all: found, any: found };
  }
  if (!Array.isArray(key) || !key.every((item) => typeof item === 'string')) return undefined;
  let values: string[] | undefined;
  if (Array.isArray(value)) values = value.every((item) => typeof item === 'string') ? value : undefined;
  else if (typeof value === 'string')
    values = key.length === 1 && key[0] === value ? [value] : jsonStrings(value);
  if (values === undefined) return undefined;
  const members = key.map((k) => values.includes(k));
  return { all: members.every(Boolean), any: members.some(Boolean) };
}

const inList: Operator = (key, value) => inMembership(key, value)?.all === true;
/** NotIn: some key element is missing from the value. */
const notInList: Operator = (key, value) => {
  const membership = inMembership(key, value);
  return membership !== undefined && !membership.all;
};

// ---- table --------------------------------------------------------------------------------------------------

const OPERATORS = {
  Equals: equals,
  NotEquals: (key, value) => !equals(key, value),
  // Kyverno still accepts the singular spellings.
  Equal: equals,
  NotEqual: (key, value) => !equals(key, value),
  In: inList,
  NotIn: notInList,
  AnyIn: setOperator('any', true),
  AllIn: setOperator('all', true),
  AnyNotIn: setOperator('any', false),
  AllNotIn: setOperator('all', false),
  GreaterThan: ordered((o) => o > 0),
  GreaterThanOrEquals: ordered((o) => o >= 0),
  LessThan: ordered((o) => o < 0),
  LessThanOrEquals: ordered((o) => o <= 0),
  DurationGreaterThan: durationOrdered((o) => o > 0),
  DurationGreaterThanOrEquals: durationOrdered((o) => o >= 0),
  DurationLessThan: durationOrdered((o) => o < 0),
  DurationLessThanOrEquals: durationOrdered((o) => o <= 0),
} satisfies Record<string, Operator>;

export type ConditionOperator = keyof typeof OPERATORS;

/** The operator names a policy may use, as Kyverno's CRD lists them. */
export const conditionOperators = Object.keys(OPERATORS) as ConditionOperator[];

export function isConditionOperator(name: string): name is ConditionOperator {
  return Object.hasOwn(OPERATORS, name);
}

export function applyOperator(operator: ConditionOperator, key: unknown, value: unknown): boolean {
  return OPERATORS[operator](key, value);
}
