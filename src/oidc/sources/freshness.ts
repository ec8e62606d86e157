/**
 * A client-side look at an identity token before it is spent on a certificate request: is it a JWT, and
 * is it still valid? The signature is not checked here; the CA verifies it against the issuer's keys.
 */
import type { JWTPayload } from 'jose';
import { decodeJwt } from 'jose/jwt/decode';
import { SigilError } from '../../core/index.js';

export function checkTokenFreshness(token: string, now: Date = new Date()): JWTPayload {
  let claims: JWTPayload;
  try {
    claims = decodeJwt(token);
  } catch {
    throw new SigilError(
      'BAD_TOKEN',
      'identity token is not a JWT',
      'pass the raw OIDC token (header.payload.signature), not an access token or a file of something else',
    );
  }
  if (typeof claims.exp === 'number' && claims.exp * 1000 <= now.getTime()) {
    throw new SigilError(
      'BAD_TOKEN',
      `identity token expired at ${new Date(claims.exp * 1000).toISOString()}; request a new one`,
      'identity tokens live minutes: fetch one right before signing',
    );
  }
  return claims;
}
