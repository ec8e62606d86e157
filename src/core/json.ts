import { SigilError } from './errors.js';

/** JSON.parse with an error that names the source, and the position where parsing failed. */
export function parseJson(text: string | Uint8Array, where: string): unknown {
  const source = typeof text === 'string' ? text : Buffer.from(text).toString('utf8');
  try {
    return JSON.parse(source);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new SigilError('BAD_JSON', `${where}: malformed JSON (${reason})`);
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
