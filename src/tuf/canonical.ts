/**
 * The canonical JSON TUF signs (OLPC canonical JSON, as python-tuf, go-tuf and tuf-js encode it): keys sorted,
 * no whitespace, integers only, and strings escaped for `"` and `\` alone. It differs from RFC 8785 (core's
 * canonicalJson) wherever a string holds a control character: an ECDSA key's PEM in `keyval.public` has
 * newlines, which JCS writes as `\n` and TUF clients write raw, so signing the JCS form would fail there.
 */
import { SigilError } from '../core/index.js';

export function tufCanonical(value: unknown): Buffer {
  return Buffer.from(encode(value), 'utf8');
}

function encode(value: unknown): string {
  if (typeof value === 'string') return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  if (typeof value === 'boolean' || value === null) return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) {
      throw new SigilError('BAD_JSON', `TUF canonical JSON has integers only, not ${value}`);
    }
    return String(value);
  }
  if (Array.isArray(value)) return `[${value.map(encode).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    // Sorted by UTF-16 code units, as the reference implementations' default string sort does.
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${encode(k)}:${encode(v)}`).join(',')}}`;
  }
  throw new SigilError('BAD_JSON', `TUF canonical JSON cannot encode a ${typeof value}`);
}
