/**
 * Optional HTTP Basic authentication for the whole registry: enough to keep a shared CI registry private
 * without running a token service. Credentials are compared through their SHA-256 so that the comparison
 * takes the same time whatever their length or content.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { RegistryHttpError } from './errors.js';

export interface BasicCredentials {
  username: string;
  password: string;
}

export function basicAuthCheck(expected: BasicCredentials): (header: string | undefined) => void {
  const want = fingerprint(`${expected.username}:${expected.password}`);
  return (header) => {
    const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
    const given = match?.[1] === undefined ? undefined : Buffer.from(match[1], 'base64').toString('utf8');
    // Always compare, so a missing header costs the same as a wrong one.
    const ok = timingSafeEqual(fingerprint(given ?? ''), want) && given !== undefined;
    if (!ok) {
      throw new RegistryHttpError(401, 'UNAUTHORIZED', 'authentication required', undefined, {
        'WWW-Authenticate': 'Basic realm="sigil"',
      });
    }
  };
}

function fingerprint(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
