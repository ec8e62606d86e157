/**
 * Registry authentication as the Docker token spec describes it: a 401 names a scheme in
 * WWW-Authenticate; for Bearer we fetch a token from the realm (with the user's credentials when we have
 * them) for exactly the scope the request needs, and cache it until it expires.
 */
import { isRecord, parseJson, SigilError } from '../core/index.js';
import type { Credential, CredentialStore } from './credentials.js';

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parses `Bearer realm="https://a/token",service="reg",scope="repository:x:pull"` (quoted commas allowed). */
export function parseChallenge(header: string): Challenge | undefined {
  const match = /^\s*([A-Za-z][\w-]*)\s*(.*)$/s.exec(header);
  if (!match) return undefined;
  const params: Record<string, string> = {};
  const PARAM = /\s*([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*(?:,|$)/gy;
  const rest = match[2] ?? '';
  let param = PARAM.exec(rest);
  while (param) {
    params[(param[1] ?? '').toLowerCase()] =
      param[2] !== undefined ? param[2].replace(/\\(.)/g, '$1') : (param[3] ?? '');
    if (PARAM.lastIndex >= rest.length) break;
    param = PARAM.exec(rest);
  }
  return { scheme: (match[1] ?? '').toLowerCase(), params };
}

interface CachedToken {
  header: string;
  expiresAt: number;
}

/** A token's default lifetime when the server gives none (the spec's minimum), less a safety margin. */
const DEFAULT_TOKEN_SECONDS = 60;
const EXPIRY_MARGIN_MS = 5_000;

export type Fetch = typeof fetch;

/** Answers challenges for one client: Basic from credentials, Bearer through the realm, with a cache. */
export class Authenticator {
  private readonly tokens = new Map<string, CachedToken>();
  private readonly credentials = new Map<string, Promise<Credential | undefined>>();

  constructor(
    private readonly store: CredentialStore,
    private readonly fetchFn: Fetch,
    private readonly timeoutMs: number,
  ) {}

  /** The Authorization header cached for this registry and scope, if any. */
  cached(registry: string, scope: string): string | undefined {
    const token = this.tokens.get(`${registry} ${scope}`);
    return token && token.expiresAt > Date.now() ? token.header : undefined;
  }

  /** Answers a 401: returns the Authorization header to retry with, or undefined when we cannot. */
  async respond(
    registry: string,
    scope: string,
    challengeHeader: string | null,
  ): Promise<string | undefined> {
    const challenge = challengeHeader ? parseChallenge(challengeHeader) : undefined;
    const credential = await this.credentialFor(registry);
    // A registry token answers any challenge directly, without a visit to the token realm.
    if (credential && 'registryToken' in credential) return `Bearer ${credential.registryToken}`;
    if (!challenge || challenge.scheme === 'basic') {
      return credential && 'username' in credential ? basicHeader(credential) : undefined;
    }
    if (challenge.scheme !== 'bearer') return undefined;
    const realm = challenge.params.realm;
    if (!realm) throw new SigilError('REGISTRY_ERROR', `${registry}: Bearer challenge without a realm`);
    const header = await this.fetchToken(realm, challenge.params.service, scope, credential);
    this.tokens.set(`${registry} ${scope}`, header);
    return header.header;
  }

  private credentialFor(registry: string): Promise<Credential | undefined> {
    let pending = this.credentials.get(registry);
    if (!pending) {
      pending = this.store.get(registry);
      this.credentials.set(registry, pending);
    }
    return pending;
  }

  private async fetchToken(
    realm: string,
    service: string | undefined,
    scope: string,
    credential: Credential | undefined,
  ): Promise<CachedToken> {
    const url = new URL(realm);
    if (service) url.searchParams.set('service', service);
    for (const s of scope.split(' ').filter(Boolean)) url.searchParams.append('scope', s);
    const init: RequestInit = { signal: AbortSignal.timeout(this.timeoutMs), headers: {} };
    if (credential && 'identityToken' in credential) {
      // An identity token is a refresh token: exchanged by POST (OAuth2) as the spec describes.
      const form = new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: credential.identityToken,
        client_id: 'sigil',
      });
      if (service) form.set('service', service);
      form.set('scope', scope);
      Object.assign(init, { method: 'POST', body: form });
    } else if (credential && 'username' in credential) {
      init.headers = { Authorization: basicHeader(credential) };
    }
    let response: Response;
    try {
      response = await this.fetchFn(url, init);
    } catch (err) {
      throw new SigilError(
        'REGISTRY_UNREACHABLE',
        `token request to ${url.origin}${url.pathname} failed: ${(err as Error).message}`,
      );
    }
    const text = await response.text();
    if (response.status === 401 || response.status === 403) {
      throw new SigilError(
        'REGISTRY_UNAUTHORIZED',
        `token request to ${url.origin}${url.pathname}: ${response.status} (credentials rejected for scope ${scope})`,
        'log in with docker login, or check ~/.docker/config.json / REGISTRY_AUTH_FILE',
      );
    }
    if (!response.ok) {
      throw new SigilError(
        'REGISTRY_ERROR',
        `token request to ${url.origin}${url.pathname}: ${response.status}`,
      );
    }
    const body = parseJson(text, `token response from ${url.origin}`);
    const token = isRecord(body) ? (body.token ?? body.access_token) : undefined;
    if (typeof token !== 'string' || token === '') {
      throw new SigilError('REGISTRY_ERROR', `token response from ${url.origin} has no token`);
    }
    const seconds =
      isRecord(body) && typeof body.expires_in === 'number' ? body.expires_in : DEFAULT_TOKEN_SECONDS;
    return { header: `Bearer ${token}`, expiresAt: Date.now() + seconds * 1000 - EXPIRY_MARGIN_MS };
  }
}

function basicHeader(credential: { username: string; password: string }): string {
  return `Basic ${Buffer.from(`${credential.username}:${credential.password}`).toString('base64')}`;
}
