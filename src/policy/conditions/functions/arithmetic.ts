import { type JSONValue, TYPE_ARRAY, TYPE_NUMBER, TYPE_STRING } from '@jmespath-community/jmespath';
import { formatGoDuration, parseGoDuration } from '../duration.js';
import { formatQuantity, parseQuantity } from '../quantity.js';
import { type CustomFunction, FunctionError } from './types.js';

/** Kyverno's arithmetic works on plain numbers, resource quantities ('1Gi') and durations ('1h'), never on mixes of the latter two. */
type Operand =
  | { kind: 'number'; value: number }
  | { kind: 'quantity'; value: number; suffix: string }
  | { kind: 'duration'; value: number };

/** What a string could be: `10m` is both 10 milli and 10 minutes, and its partner decides (Kyverno's rule). */
interface Candidate {
  number?: number;
  quantity?: { value: number; suffix: string };
  duration?: number;
}

function candidate(functionName: string, value: JSONValue): Candidate {
  if (typeof value === 'number') return { number: value };
  if (typeof value === 'string') {
    const quantity = parseQuantity(value);
    const duration = parseGoDuration(value);
    if (quantity !== undefined || duration !== undefined) return { quantity, duration };
  }
  throw new FunctionError(
    functionName,
    `${JSON.stringify(value)} is neither a number, a quantity nor a duration`,
  );
}

const onlyDuration = (c: Candidate) => c.duration !== undefined && c.quantity === undefined;

function resolve(c: Candidate, durationContext: boolean): Operand {
  if (c.number !== undefined) return { kind: 'number', value: c.number };
  if (c.duration !== undefined && (c.quantity === undefined || durationContext))
    return { kind: 'duration', value: c.duration };
  const quantity = c.quantity as { value: number; suffix: string };
  return { kind: 'quantity', ...quantity };
}

/** Both operands, an ambiguous one read as a duration when the other can only be a duration. */
function operands(
  functionName: string,
  a: JSONValue | undefined,
  b: JSONValue | undefined,
): [Operand, Operand] {
  const x = candidate(functionName, a ?? null);
  const y = candidate(functionName, b ?? null);
  const durationContext = onlyDuration(x) || onlyDuration(y);
  return [resolve(x, durationContext), resolve(y, durationContext)];
}

function result(op: Operand): JSONValue {
  if (op.kind === 'duration') return formatGoDuration(op.value);
  if (op.kind === 'quantity') return formatQuantity(op.value, op.suffix);
  return op.value;
}

function mismatch(functionName: string, a: Operand, b: Operand): FunctionError {
  return new FunctionError(functionName, `cannot combine a ${a.kind} with a ${b.kind}`);
}

/** The suffix to write a quantity result with: the finer of the two operands' suffixes. */
function finerSuffix(a: Operand, b: Operand): string {
  const suffixOf = (o: Operand): string | undefined => (o.kind === 'quantity' ? o.suffix : undefined);
  const x = suffixOf(a);
  const y = suffixOf(b);
  if (x === undefined) return y ?? '';
  if (y === undefined) return x;
  const scale = (s: string) => parseQuantity(`1${s}`)?.value ?? 1;
  return scale(x) <= scale(y) ? x : y;
}

function sameKind(
  name: string,
  a: Operand,
  b: Operand,
  combine: (x: number, y: number) => number,
): JSONValue {
  if (a.kind !== b.kind) throw mismatch(name, a, b);
  const value = combine(a.value, b.value);
  if (a.kind === 'quantity') return formatQuantity(value, finerSuffix(a, b));
  return result({ ...a, value });
}

const numberOrString = { types: [TYPE_NUMBER, TYPE_STRING] };

export const arithmeticFunctions: CustomFunction[] = [
  {
    name: 'add',
    signature: [numberOrString, numberOrString],
    run: ([a, b]) => sameKind('add', ...operands('add', a, b), (x, y) => x + y),
  },
  {
    name: 'subtract',
    signature: [numberOrString, numberOrString],
    run: ([a, b]) => sameKind('subtract', ...operands('subtract', a, b), (x, y) => x - y),
  },
  {
    name: 'multiply',
    signature: [numberOrString, numberOrString],
    run: ([a, b]) => {
      const [x, y] = operands('multiply', a, b);
      if (x.kind !== 'number' && y.kind !== 'number') throw mismatch('multiply', x, y);
      const scaled = x.kind === 'number' ? y : x;
      return result({ ...scaled, value: x.value * y.value });
    },
  },
  {
    name: 'divide',
    signature: [numberOrString, numberOrString],
    run: ([a, b]) => {
      const [x, y] = operands('divide', a, b);
      if (y.value === 0) throw new FunctionError('divide', 'division by zero');
      if (y.kind === 'number') return result({ ...x, value: x.value / y.value });
      if (x.kind !== y.kind) throw mismatch('divide', x, y);
      return x.value / y.value;
    },
  },
  {
    name: 'modulo',
    signature: [numberOrString, numberOrString],
    run: ([a, b]) => {
      const [x, y] = operands('modulo', a, b);
      if (y.value === 0) throw new FunctionError('modulo', 'division by zero');
      if (x.kind === 'number' && (!Number.isInteger(x.value) || !Number.isInteger(y.value))) {
        throw new FunctionError('modulo', 'both numbers must be integers');
      }
      return sameKind('modulo', x, y, (p, q) => p % q);
    },
  },
  {
    name: 'round',
    signature: [{ types: [TYPE_NUMBER] }, { types: [TYPE_NUMBER] }],
    run: ([value, digits]) => {
      const places = digits as number;
      if (!Number.isInteger(places) || places < 0)
        throw new FunctionError('round', 'digits must be a non-negative integer');
      const factor = 10 ** places;
      return Math.round((value as number) * factor) / factor;
    },
  },
  {
    // Overrides JMESPath's numbers-only sum: Kyverno's also adds up quantities or durations.
    name: 'sum',
    signature: [{ types: [TYPE_ARRAY] }],
    run: ([items]) => {
      const list = items as JSONValue[];
      if (list.length === 0) throw new FunctionError('sum', 'at least one element is required');
      // Adds pairwise left to right, as Kyverno does, so each step resolves `10m`-style ambiguity against its partner.
      let total: JSONValue = list[0] ?? null;
      for (const next of list.slice(1))
        total = sameKind('sum', ...operands('sum', total, next), (x, y) => x + y);
      return total;
    },
  },
];
