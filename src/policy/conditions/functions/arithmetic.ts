import { type JSONValue, TYPE_ARRAY, TYPE_NUMBER, TYPE_STRING } from '@jmespath-community/jmespath';
import { formatGoDuration, parseGoDuration } from '../duration.js';
import { formatQuantity, parseQuantity } from '../quantity.js';
import { type CustomFunction, FunctionError } from './types.js';

/** Kyverno's arithmetic works on plain numbers, resource quantities ('1Gi') and durations ('1h'), never on mixes of the latter two. */
type Operand =
  | { kind: 'number'; value: number }
  | { kind: 'quantity'; value: number; suffix: string }
  | { kind: 'duration'; value: number };

function operand(functionName: string, value: JSONValue): Operand {
  if (typeof value === 'number') return { kind: 'number', value };
  if (typeof value === 'string') {
    const seconds = parseGoDuration(value);
    if (seconds !== undefined && value !== '0') return { kind: 'duration', value: seconds };
    const quantity = parseQuantity(value);
    if (quantity !== undefined) return { kind: 'quantity', value: quantity.value, suffix: quantity.suffix };
  }
  throw new FunctionError(
    functionName,
    `${JSON.stringify(value)} is neither a number, a quantity nor a duration`,
  );
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
    run: ([a, b]) => sameKind('add', operand('add', a ?? null), operand('add', b ?? null), (x, y) => x + y),
  },
  {
    name: 'subtract',
    signature: [numberOrString, numberOrString],
    run: ([a, b]) =>
      sameKind('subtract', operand('subtract', a ?? null), operand('subtract', b ?? null), (x, y) => x - y),
  },
  {
    name: 'multiply',
    signature: [numberOrString, numberOrString],
    run: ([a, b]) => {
      const x = operand('multiply', a ?? null);
      const y = operand('multiply', b ?? null);
      if (x.kind !== 'number' && y.kind !== 'number') throw mismatch('multiply', x, y);
      const scaled = x.kind === 'number' ? y : x;
      return result({ ...scaled, value: x.value * y.value });
    },
  },
  {
    name: 'divide',
    signature: [numberOrString, numberOrString],
    run: ([a, b]) => {
      const x = operand('divide', a ?? null);
      const y = operand('divide', b ?? null);
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
      const x = operand('modulo', a ?? null);
      const y = operand('modulo', b ?? null);
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
      const operands = list.map((item) => operand('sum', item));
      let total = operands[0] as Operand;
      for (const next of operands.slice(1)) {
        const combined = sameKind('sum', total, next, (x, y) => x + y);
        total = operand('sum', combined);
      }
      return result(total);
    },
  },
];
