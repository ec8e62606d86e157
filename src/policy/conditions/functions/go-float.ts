/**
 * A number as Kyverno's functions turn one into text for `regex_match`, `regex_replace_all`,
 * `regex_replace_all_literal` and `pattern_match`: Go's strconv.FormatFloat(x, 'f', -1, 32), that is the
 * shortest decimal that reads back as the same float32, without an exponent (123456789 → "123456790",
 * 1e-7 → "0.0000001", 1e21 → "1000000000000000000000").
 */
export function goFloat32Text(value: number): string {
  const f = Math.fround(value);
  if (Number.isNaN(f)) return 'NaN';
  if (f === Number.POSITIVE_INFINITY) return '+Inf';
  if (f === Number.NEGATIVE_INFINITY) return '-Inf';
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  // The nearest p-digit decimal is in the float32's rounding interval whenever any p-digit decimal is.
  for (let precision = 1; precision < 9; precision++) {
    const text = f.toPrecision(precision);
    if (Math.fround(Number(text)) === f) return withoutExponent(text);
  }
  return withoutExponent(f.toPrecision(9));
}

/** "1.2345679e+8" → "123456790", "1e-7" → "0.0000001": the digits placed, no exponent, no trailing zeros. */
function withoutExponent(text: string): string {
  const parts = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(text);
  if (parts === null) return text;
  const [, sign = '', whole = '', fraction = '', exponent = '0'] = parts;
  let digits = whole + fraction;
  let point = whole.length + Number(exponent);
  while (digits.length > 1 && digits.startsWith('0')) {
    digits = digits.slice(1);
    point--;
  }
  let plain: string;
  if (point <= 0) plain = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) plain = digits + '0'.repeat(point - digits.length);
  else plain = `${digits.slice(0, point)}.${digits.slice(point)}`;
  if (plain.includes('.')) plain = plain.replace(/0+$/, '').replace(/\.$/, '');
  return sign + plain;
}
