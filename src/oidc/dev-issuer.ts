/**
 * The development OIDC issuer (`sigil oidc serve`): discovery documents, a JWKS, and a token endpoint
 * that mints RS256 identity tokens for a person or a CI job, so keyless signing runs with no external
 * identity provider. Each identity kind is its own issuer (a path under the server), because a CA maps
 * one issuer URL to one certificate profile, as Fulcio does. It is for development and tests only:
 * anyone who can reach it gets any identity.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { z } from 'zod';
import {
  listenUrl,
  loadFastify,
  loadPromClient,
  newMetricsRegistry,
  registerMetricsRoute,
  SigilError,
} from '../core/index.js';
import { type ClaimSet, DEV_IDENTITY_KINDS, type DevIdentityKind, devClaims } from './claims.js';

/**
 * RS256, as GitHub Actions, GitLab and Google sign: cosign's --identity-token takes its value as a token
 * only when it parses as an RS256 JWS, and as a file path otherwise ("file name too long").
 */
const ALGORITHM = 'RS256';
const DEFAULT_TTL_SECONDS = 600;

export interface DevIssuerKeys {
  kid: string;
  privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  jwk: JWK;
}

export async function createDevIssuerKeys(): Promise<DevIssuerKeys> {
  const { privateKey, publicKey } = await generateKeyPair(ALGORITHM, { extractable: true });
  const kid = randomUUID();
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: ALGORITHM, use: 'sig' } };
}

/** The issuer URL of one identity kind on a dev issuer at `baseUrl`. */
export function devIssuerUrl(baseUrl: string, kind: DevIdentityKind): string {
  return `${baseUrl.replace(/\/$/, '')}/${kind}`;
}

const tokenRequestSchema = z.object({
  kind: z.enum(DEV_IDENTITY_KINDS as [DevIdentityKind, ...DevIdentityKind[]]).default('email'),
  audience: z.string().min(1).default('sigstore'),
  ttlSeconds: z.number().int().min(-86_400).max(86_400).default(DEFAULT_TTL_SECONDS),
  email: z.string().optional(),
  repository: z.string().optional(),
  ref: z.string().optional(),
  workflow: z.string().optional(),
  event: z.string().optional(),
  sha: z.string().optional(),
  /** Extra or overriding claims. */
  claims: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
});

export type DevTokenRequest = z.input<typeof tokenRequestSchema>;

export async function mintDevToken(
  keys: DevIssuerKeys,
  baseUrl: string,
  request: DevTokenRequest,
  now = Date.now(),
): Promise<string> {
  const parsed = tokenRequestSchema.safeParse(request);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SigilError('BAD_INPUT', `token request: ${issue?.path.join('.') || 'body'}: ${issue?.message}`);
  }
  const { kind, audience, ttlSeconds, claims, ...identity } = parsed.data;
  const payload: ClaimSet = { ...devClaims(kind, identity), ...claims };
  const issuedAt = Math.floor(now / 1000);
  return new SignJWT(payload)
    .setProtectedHeader({ alg: ALGORITHM, kid: keys.kid, typ: 'JWT' })
    .setIssuer(devIssuerUrl(baseUrl, kind))
    .setAudience(audience)
    .setIssuedAt(issuedAt)
    .setNotBefore(issuedAt)
    .setExpirationTime(issuedAt + ttlSeconds)
    .setJti(randomUUID())
    .sign(keys.privateKey);
}

export function buildDevIssuerApp(keys: DevIssuerKeys, baseUrl: () => string): FastifyInstance {
  const app = loadFastify().fastify({ logger: false, bodyLimit: 16 * 1024 });
  const metrics = devIssuerMetrics();
  app.setErrorHandler((error, request, reply) => {
    const status = (error as { statusCode?: number }).statusCode ?? (error instanceof SigilError ? 400 : 500);
    if (request.routeOptions.url === '/token') metrics.refused.inc();
    return reply
      .status(status)
      .send({ error: 'invalid_request', error_description: (error as Error).message });
  });
  app.get('/jwks', async () => ({ keys: [keys.jwk] }));
  for (const kind of DEV_IDENTITY_KINDS) {
    app.get(`/${kind}/.well-known/openid-configuration`, async () => discovery(baseUrl(), kind));
  }
  app.post('/token', async (request) => {
    const body = (request.body ?? {}) as DevTokenRequest;
    const token = await mintDevToken(keys, baseUrl(), body);
    // Minted, so the kind is one of the known few (the schema's default when absent).
    metrics.issued.inc({ kind: body.kind ?? 'email' });
    return { id_token: token, access_token: token, token_type: 'Bearer', expires_in: DEFAULT_TTL_SECONDS };
  });
  app.get('/github-actions/token', async (request) => {
    const token = await mintDevToken(keys, baseUrl(), githubActionsRequest(request.headers, request.query));
    metrics.issued.inc({ kind: 'github-actions' });
    return { count: 1, value: token };
  });
  app.get('/healthz', async () => ({ status: 'ok' }));
  registerMetricsRoute(app, metrics.registry);
  return app;
}

const GITHUB_JOB_CONTEXT = ['repository', 'ref', 'workflow', 'sha', 'event'] as const;

/**
 * GitHub's job token request, so a local Actions runner gets the ambient credentials a hosted one has:
 * point ACTIONS_ID_TOKEN_REQUEST_URL at `<issuer>/github-actions/token?repository=o/r&ref=...` (the job's
 * context, which GitHub knows from the request token and this issuer cannot) and give any bearer token in
 * ACTIONS_ID_TOKEN_REQUEST_TOKEN; clients append `audience=`. A request without a bearer token is refused,
 * as GitHub refuses one.
 */
function githubActionsRequest(headers: Record<string, unknown>, query: unknown): DevTokenRequest {
  const authorization = headers.authorization;
  if (typeof authorization !== 'string' || !/^Bearer \S+$/i.test(authorization)) {
    throw Object.assign(new SigilError('BAD_TOKEN', 'GitHub Actions token request: no bearer token'), {
      statusCode: 401,
    });
  }
  const params = (query ?? {}) as Record<string, unknown>;
  const request: DevTokenRequest = { kind: 'github-actions' };
  if (typeof params.audience === 'string') request.audience = params.audience;
  for (const name of GITHUB_JOB_CONTEXT) {
    const value = params[name];
    if (typeof value === 'string') request[name] = value;
  }
  return request;
}

/** Tokens minted over HTTP and requests refused, on a registry of this server's own. */
function devIssuerMetrics() {
  const { Counter } = loadPromClient();
  const registry = newMetricsRegistry();
  return {
    registry,
    issued: new Counter({
      name: 'sigil_oidc_tokens_issued_total',
      help: 'Identity tokens minted by POST /token and GitHub-style GET /github-actions/token, by identity kind',
      labelNames: ['kind'],
      registers: [registry],
    }),
    refused: new Counter({
      name: 'sigil_oidc_token_requests_refused_total',
      help: 'POST /token requests refused (a malformed or out-of-range request)',
      registers: [registry],
    }),
  };
}

function discovery(baseUrl: string, kind: DevIdentityKind) {
  return {
    issuer: devIssuerUrl(baseUrl, kind),
    jwks_uri: `${baseUrl}/jwks`,
    token_endpoint: `${baseUrl}/token`,
    response_types_supported: ['id_token'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [ALGORITHM],
    claims_supported: ['sub', 'email', 'email_verified', 'aud', 'iss', 'exp', 'iat'],
  };
}

export interface RunningDevIssuer {
  url: string;
  /** The issuer URL of each identity kind, for CA configuration and trust policies. */
  issuers: Record<DevIdentityKind, string>;
  mint(request: DevTokenRequest): Promise<string>;
  close(): Promise<void>;
}

export async function startDevIssuer(
  host: string,
  port: number,
  options: {
    keys?: DevIssuerKeys;
    /** The URL clients reach it at, which its tokens name (behind a Service or proxy); else where it listens. */
    publicUrl?: string;
  } = {},
): Promise<RunningDevIssuer> {
  const issuerKeys = options.keys ?? (await createDevIssuerKeys());
  let url = '';
  const app = buildDevIssuerApp(issuerKeys, () => url);
  const listening = await listenUrl(app, host, port);
  url = options.publicUrl?.replace(/\/+$/, '') ?? listening;
  const issuers = Object.fromEntries(DEV_IDENTITY_KINDS.map((kind) => [kind, devIssuerUrl(url, kind)]));
  return {
    url,
    issuers: issuers as Record<DevIdentityKind, string>,
    mint: (request) => mintDevToken(issuerKeys, url, request),
    close: () => app.close(),
  };
}
