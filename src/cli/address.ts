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

/** An http(s) URL from a flag, without a trailing slash. */
export function parseHttpUrl(value: string, flag: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new SigilError('BAD_INPUT', `${flag} "${value}" is not a URL (e.g. http://oidc.example:8080)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new SigilError('BAD_INPUT', `${flag} "${value}" must be an http or https URL`);
  }
  return value.replace(/\/+$/, '');
}
