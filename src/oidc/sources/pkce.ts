/** PKCE (RFC 7636) with S256, and the random state and nonce values of an authorization request. */
import { createHash, randomBytes } from 'node:crypto';

export interface Pkce {
  /** 43 characters of base64url (32 random bytes), inside RFC 7636's 43-128. */
  verifier: string;
  /** BASE64URL(SHA-256(verifier)). */
  challenge: string;
  method: 'S256';
}

export function createPkce(): Pkce {
  const verifier = randomToken();
  return { verifier, challenge: pkceChallenge(verifier), method: 'S256' };
}

export function pkceChallenge(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/** 256 random bits, URL-safe: for state, nonce and code verifiers. */
export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}
