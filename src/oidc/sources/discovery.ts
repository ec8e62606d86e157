/**
 * OpenID Connect discovery (`<issuer>/.well-known/openid-configuration`): the endpoints the interactive
 * flows need. As go-oidc does for cosign, the document must name the same issuer that was asked for.
 */
import { SigilError } from '../../core/index.js';
import { jsonObject, send } from './http.js';
import { DEFAULT_HTTP_TIMEOUT_MS } from './types.js';

export interface IssuerEndpoints {
  issuer: string;
  authorizationEndpoint?: string;
  tokenEndpoint?: string;
  deviceAuthorizationEndpoint?: string;
  /** `code_challenge_methods_supported`, when the issuer advertises it. */
  codeChallengeMethods?: string[];
}

export function discoveryUrl(issuerUrl: string): string {
  return `${issuerUrl.replace(/\/+$/, '')}/.well-known/openid-configuration`;
}

export async function discoverIssuer(
  issuerUrl: string,
  options: { timeoutMs?: number } = {},
): Promise<IssuerEndpoints> {
  const what = `OIDC discovery for ${issuerUrl}`;
  const answer = await send(what, discoveryUrl(issuerUrl), {
    method: 'GET',
    timeoutMs: options.timeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS,
    unreachableHint: 'check --oidc-issuer and the network',
  });
  if (!answer.ok) {
    throw new SigilError(
      'SERVICE_ERROR',
      `${what}: ${answer.url} answered ${answer.status}`,
      'check that --oidc-issuer is the issuer URL (without /.well-known/openid-configuration)',
    );
  }
  const doc = jsonObject(what, answer);
  if (typeof doc.issuer !== 'string' || stripSlash(doc.issuer) !== stripSlash(issuerUrl)) {
    throw new SigilError(
      'SERVICE_ERROR',
      `${what}: the discovery document names issuer ${String(doc.issuer)}, not ${issuerUrl}`,
      'pass the issuer URL exactly as the provider spells it',
    );
  }
  const methods = doc.code_challenge_methods_supported;
  return {
    issuer: doc.issuer,
    authorizationEndpoint: endpoint(what, doc, 'authorization_endpoint'),
    tokenEndpoint: endpoint(what, doc, 'token_endpoint'),
    deviceAuthorizationEndpoint: endpoint(what, doc, 'device_authorization_endpoint'),
    ...(Array.isArray(methods)
      ? { codeChallengeMethods: methods.filter((m): m is string => typeof m === 'string') }
      : {}),
  };
}

/** An endpoint the interactive flow cannot do without. */
export function requireEndpoint(
  endpoints: IssuerEndpoints,
  key: 'authorizationEndpoint' | 'tokenEndpoint' | 'deviceAuthorizationEndpoint',
  flow: string,
): string {
  const value = endpoints[key];
  if (value) return value;
  const field = key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  throw new SigilError(
    'UNSUPPORTED',
    `the issuer ${endpoints.issuer} has no ${field} in its discovery document, needed by the ${flow}`,
    flow === 'device flow' ? 'use the browser login instead' : 'use the device flow or pass --identity-token',
  );
}

/**
 * cosign requires the issuer to offer PKCE with S256. An issuer that lists its methods without S256 is
 * refused; one that lists none is tried anyway (several providers support PKCE without advertising it).
 */
export function requireS256(endpoints: IssuerEndpoints): void {
  const methods = endpoints.codeChallengeMethods;
  if (methods && !methods.includes('S256')) {
    throw new SigilError(
      'UNSUPPORTED',
      `the issuer ${endpoints.issuer} does not support PKCE with S256 (it offers ${methods.join(', ') || 'none'})`,
      'use an identity provider that supports PKCE, or pass --identity-token',
    );
  }
}

function endpoint(what: string, doc: Record<string, unknown>, field: string): string | undefined {
  const value = doc[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') {
    try {
      const url = new URL(value);
      if (url.protocol === 'https:' || url.protocol === 'http:') return value;
    } catch {
      // reported below
    }
  }
  throw new SigilError('SERVICE_ERROR', `${what}: ${field} is not an http(s) URL: ${String(value)}`);
}

function stripSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
