/**
 * JSON as Go's encoding/json writes it, so that payloads and manifests we produce are byte-identical to
 * cosign's: struct fields keep the order the caller built the object in, Go maps (`sortedKeys`) are
 * sorted, and HTML-sensitive characters and line separators are escaped as \u003c, \u003e, \u0026, \u2028,
 * \u2029 (JSON.stringify leaves them raw).
 */
export function goJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * A copy of a Go `map[string]any` with its keys in the order encoding/json writes them (byte order);
 * nested objects decoded into `any` are maps too, so they are sorted as well.
 */
export function sortedKeys<T>(map: Record<string, T>): Record<string, T> {
  const sorted: Record<string, T> = {};
  for (const key of Object.keys(map).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))) {
    const value = map[key] as T;
    sorted[key] = isPlainObject(value)
      ? (sortedKeys(value) as T)
      : Array.isArray(value)
        ? (value.map((v) => (isPlainObject(v) ? sortedKeys(v) : v)) as T)
        : value;
  }
  return sorted;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
