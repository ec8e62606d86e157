/**
 * Kubernetes resource quantities (`500m`, `1Gi`, `2e3`), as Kyverno's operators and arithmetic read them.
 * Values are held as JavaScript numbers: policies compare quantities far below 2^53, so exactness is not at stake.
 */
const SUFFIXES: Readonly<Record<string, number>> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

const QUANTITY = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:([numkMGTPE]|[KMGTPE]i)|[eE]([+-]?\d+))?$/;

export interface Quantity {
  value: number;
  /** The suffix as written ('' for none or an exponent), so results can be written back the same way. */
  suffix: string;
}

export function parseQuantity(text: string): Quantity | undefined {
  const match = QUANTITY.exec(text);
  if (match === null) return undefined;
  const [, number = '', suffix = '', exponent] = match;
  const scale = exponent !== undefined ? 10 ** Number(exponent) : SUFFIXES[suffix];
  if (scale === undefined) return undefined;
  return { value: Number(number) * scale, suffix: exponent !== undefined ? '' : suffix };
}

const DECIMAL_LARGEST_FIRST = ['E', 'P', 'T', 'G', 'M', 'k', '', 'm', 'u', 'n'];
const BINARY_LARGEST_FIRST = ['Ei', 'Pi', 'Ti', 'Gi', 'Mi', 'Ki'];

/**
 * Kubernetes' canonical form: the largest suffix of the operand's family (binary for `Ki`…, else decimal) that
 * writes `value` as a whole number, so 2000m reads back as "2" and 1536Mi stays "1536Mi".
 */
export function formatQuantity(value: number, suffix: string): string {
  const families = suffix.endsWith('i')
    ? [BINARY_LARGEST_FIRST, DECIMAL_LARGEST_FIRST]
    : [DECIMAL_LARGEST_FIRST];
  for (const family of families) {
    for (const candidate of family) {
      const scaled = value / (SUFFIXES[candidate] ?? 1);
      // toPrecision absorbs float noise such as 0.1 * 3 before deciding that a value is whole.
      const rounded = Number(scaled.toPrecision(12));
      if (Number.isInteger(rounded) && rounded !== 0) return `${rounded}${candidate}`;
    }
  }
  return String(value);
}
