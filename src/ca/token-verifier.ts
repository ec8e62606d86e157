/**
 * Verifies OIDC identity tokens against the configured issuers: the issuer must be configured, its keys
 * come from its discovery document's JWKS (fetched once, refreshed by jose when a new key id appears),
 * and the token must be signed by them, meant for our audience, and inside its validity (with skew).
 */
import { createRemoteJWKSet, decodeJwt, type JWTVerifyGetKey, errors as joseErrors, jwtVerify } from 'jose';
import { messageOf, SigilError } from '../core/index.js';
import type { Claims, IssuerType } from './profile.js';

export interface IssuerConfig {
  issuerUrl: string;
  /** The audience tokens must carry (Fulcio's ClientID; `sigstore` by convention). */
  clientId: string;
  type: IssuerType;
  /** For CI issuers: the web origin identities are built from (e.g. https://github.com). */
  serverUrl?: string;
}

export interface VerifiedToken {
  issuer: IssuerConfig;
  claims: Claims;
}

const CLOCK_SKEW_SECONDS = 60;

export class TokenVerifier {
  private readonly keySets = new Map<string, Promise<JWTVerifyGetKey>>();

  constructor(readonly issuers: readonly IssuerConfig[]) {}

  async verify(token: string): Promise<VerifiedToken> {
    const issuer = this.issuerOf(token);
    try {
      const { payload } = await jwtVerify(token, await this.keySet(issuer), {
        issuer: issuer.issuerUrl,
        audience: issuer.clientId,
        clockTolerance: CLOCK_SKEW_SECONDS,
        requiredClaims: ['exp', 'iat'],
      });
      return { issuer, claims: payload as Claims };
    } catch (err) {
      throw new SigilError('BAD_TOKEN', `identity token rejected: ${reason(err)}`);
    }
  }

  private issuerOf(token: string): IssuerConfig {
    let iss: unknown;
    try {
      iss = decodeJwt(token).iss;
    } catch {
      throw new SigilError('BAD_TOKEN', 'identity token rejected: not a JWT');
    }
    const issuer = this.issuers.find((candidate) => candidate.issuerUrl === iss);
    if (!issuer) {
      throw new SigilError('BAD_TOKEN', `identity token rejected: issuer ${String(iss)} is not configured`);
    }
    return issuer;
  }

  private keySet(issuer: IssuerConfig): Promise<JWTVerifyGetKey> {
    let keySet = this.keySets.get(issuer.issuerUrl);
    if (!keySet) {
      keySet = discoverKeySet(issuer.issuerUrl);
      // A failed discovery is retried on the next token rather than cached.
      keySet.catch(() => this.keySets.delete(issuer.issuerUrl));
      this.keySets.set(issuer.issuerUrl, keySet);
    }
    return keySet;
  }
}

async function discoverKeySet(issuerUrl: string): Promise<JWTVerifyGetKey> {
  const url = `${issuerUrl.replace(/\/$/, '')}/.well-known/openid-configuration`;
  let document: unknown;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    document = await response.json();
  } catch (err) {
    throw new SigilError('BAD_TOKEN', `cannot read the discovery document ${url}: ${messageOf(err)}`);
  }
  const jwksUri = (document as { jwks_uri?: unknown }).jwks_uri;
  if (typeof jwksUri !== 'string') {
    throw new SigilError('BAD_TOKEN', `the discovery document ${url} has no jwks_uri`);
  }
  return createRemoteJWKSet(new URL(jwksUri), { cacheMaxAge: 10 * 60_000 });
}

function reason(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return 'token expired';
  if (err instanceof joseErrors.JWTClaimValidationFailed) return `${err.claim} claim: ${err.message}`;
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'signature does not verify';
  if (err instanceof joseErrors.JWKSNoMatchingKey) return "no key in the issuer's JWKS matches the token";
  if (err instanceof SigilError) return err.message;
  return messageOf(err);
}
