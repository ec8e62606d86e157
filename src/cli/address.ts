import { SigilError } from '../core/index.js';

/** `host:port` or `[v6]:port` from a --addr flag. */
export function parseAddress(value: string): { host: string; port: number } {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:]*):(\d{1,5})$/.exec(value);
  const port = Number(match?.[2]);
  if (!match || port > 65535) {
    throw new SigilError('BAD_INPUT', `--addr "${value}" must be host:port (e.g. 127.0.0.1:5000)`);
  }
  const host = (match[1] ?? '').replace(/^\[|\]$/g, '');
  return { host: host || '0.0.0.0', port };
}
