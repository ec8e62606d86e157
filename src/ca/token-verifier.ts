/**
 * Verifies OIDC identity tokens against the configured issuers: the issuer must be configured (by URL,
 * or by one of Fulcio's wildcard "meta issuer" patterns), its keys come from its discovery document's
 * JWKS (fetched once, refreshed by jose when a new key id appears), and the token must be signed by
 * them, meant for our audience, and inside its validity (with skew).
 */
import type { JWTVerifyGetKey } from 'jose';
import * as joseErrors from 'jose/errors';
import { decodeJwt } from 'jose/jwt/decode';
import { escapeRegExp, lazy, messageOf, SigilError } from '../core/index.js';
import type { CiProvider } from './ci-provider.js';
import type { Claims } from './identity.js';
import type { IssuerType } from './profile.js';

export interface IssuerConfig {
  /** The issuer URL, or for a wildcard issuer its pattern (e.g. https://oidc.eks.*.amazonaws.com/id/*). */
  issuerUrl: string;
  /** Fulcio's MetaIssuers: each `*` in `issuerUrl` stands for one run of letters, digits, "-" and "_". */
  wildcard?: boolean;
  /** The audience tokens must carry (Fulcio's ClientID; `sigstore` by convention). */
  clientId: string;
  type: IssuerType;
  /** For CI issuers: the web origin identities are built from (e.g. https://github.com). */
  serverUrl?: string;
  /** `uri` and `username` issuers: the domain their subjects belong to (Fulcio's SubjectDomain). */
  subjectDomain?: string;
  /** `spiffe` issuers: the trust domain of the SPIFFE IDs they may vouch for. */
  spiffeTrustDomain?: string;
  /** `ci-provider` issuers: the provider's templates (Fulcio's CIProvider entry of CIIssuerMetadata). */
  ciProvider?: CiProvider;
}

export interface VerifiedToken {
  issuer: IssuerConfig;
  claims: Claims;
}

const CLOCK_SKEW_SECONDS = 60;

// jose's verifier is loaded by the CA that uses it, not by every command that imports ca/; once, as each
// import() goes through module resolution again (and through every loader hook installed).
const loadJose = lazy(() => import('jose'));
/** Wildcard issuers can name any number of URLs; keep the key sets of the most recent few, as Fulcio does. */
const MAX_KEY_SETS = 100;

export class TokenVerifier {
  private readonly keySets = new Map<string, Promise<JWTVerifyGetKey>>();
  private readonly wildcards: Array<{ issuer: IssuerConfig; pattern: RegExp }>;

  constructor(readonly issuers: readonly IssuerConfig[]) {
    this.wildcards = issuers
      .filter((issuer) => issuer.wildcard)
      .map((issuer) => ({ issuer, pattern: wildcardPattern(issuer.issuerUrl) }));
  }

  async verify(token: string): Promise<VerifiedToken> {
    const issuer = this.issuerOf(token);
    const { jwtVerify } = await loadJose();
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
    const issuer = this.issuers.find((candidate) => !candidate.wildcard && candidate.issuerUrl === iss);
    if (issuer) return issuer;
    const meta =
      typeof iss === 'string' ? this.wildcards.find(({ pattern }) => pattern.test(iss)) : undefined;
    if (!meta) {
      throw new SigilError('BAD_TOKEN', `identity token rejected: issuer ${String(iss)} is not configured`);
    }
    // From here on the token's own issuer is the one to discover keys from and to name in the certificate.
    return { ...meta.issuer, issuerUrl: iss as string, wildcard: false };
  }

  private keySet(issuer: IssuerConfig): Promise<JWTVerifyGetKey> {
    let keySet = this.keySets.get(issuer.issuerUrl);
    if (!keySet) {
      keySet = discoverKeySet(issuer.issuerUrl);
      // A failed discovery is retried on the next token rather than cached.
      keySet.catch(() => this.keySets.delete(issuer.issuerUrl));
      const oldest = this.keySets.keys().next();
      if (this.keySets.size >= MAX_KEY_SETS && !oldest.done) this.keySets.delete(oldest.value);
      this.keySets.set(issuer.issuerUrl, keySet);
    }
    return keySet;
  }
}

/** Fulcio's meta-issuer match: anchored, `*` = one URL part, everything else literal. */
export function wildcardPattern(issuerUrl: string): RegExp {
  const parts = issuerUrl.split('*').map(escapeRegExp);
  return new RegExp(`^${parts.join('[-_a-zA-Z0-9]+')}$`);
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
  const { createRemoteJWKSet } = await loadJose();
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
