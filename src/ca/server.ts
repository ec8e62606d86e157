/**
 * Fulcio v2 REST routes (`sigil ca serve`): `POST /api/v2/signingCert`, `GET /api/v2/trustBundle`,
 * (and the legacy `POST /api/v1/signingCert` that cosign v2 calls),
 * `GET /api/v2/configuration`, with Fulcio's JSON shapes and `{"code","message"}` errors (400 for a bad
 * request, 401 for a token that does not verify, 404 for what is not there, 502 when its CT log fails); and, when the CA runs its own
 * CT log, that log's RFC 6962 API under `/ct/v1/`.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isSigilError, listenUrl, loadFastify, registerMetricsRoute } from '../core/index.js';
import type { CertificateAuthority, IssuedCertificate } from './authority.js';
import type { CtLog } from './ct-log.js';
import { registerCtRoutes } from './ct-routes.js';
import { parseLegacySigningCertRequest } from './legacy-request.js';
import { createCaMetrics } from './metrics.js';
import { parseSigningCertRequest, type SigningCertRequest } from './request.js';
import type { IssuerConfig } from './token-verifier.js';

export function buildCaApp(ca: CertificateAuthority, ctLog?: CtLog): FastifyInstance {
  const app = loadFastify().fastify({ logger: false, bodyLimit: 64 * 1024 });
  const metrics = createCaMetrics(ctLog);
  app.setErrorHandler((error, request, reply) => {
    const status = isSigilError(error, 'BAD_TOKEN')
      ? 401
      : isSigilError(error, 'NOT_FOUND')
        ? 404
        : upstreamFailed(error)
          ? 502
          : isSigilError(error) || ((error as { statusCode?: number }).statusCode ?? 500) < 500
            ? 400
            : 500;
    if (isIssuance(request)) metrics.refused.inc({ reason: REFUSAL_REASONS[status] ?? 'error' });
    return reply.status(status).send({ code: status, message: (error as Error).message });
  });
  const issue = async (request: SigningCertRequest): Promise<IssuedCertificate> => {
    const endTimer = metrics.issuance.startTimer();
    const issued = await ca.issue(request);
    endTimer();
    metrics.issued.inc();
    return issued;
  };

  app.post('/api/v2/signingCert', async (request, reply) => {
    const issued = await issue(parseSigningCertRequest(request.body, request.headers.authorization));
    // 200, as Fulcio's v2 gateway answers: sigstore-go (cosign v3) refuses any other status.
    return reply
      .status(200)
      .send({ signedCertificateEmbeddedSct: { chain: { certificates: issued.chain } } });
  });

  // The legacy v1 route (cosign v2 with --fulcio-url): the PEM chain, leaf first, with 201 as Fulcio sends.
  // The leaf's SCT is embedded, so there is no detached SCT header.
  app.post('/api/v1/signingCert', async (request, reply) => {
    const issued = await issue(parseLegacySigningCertRequest(request.body, request.headers.authorization));
    return reply.status(201).type('application/pem-certificate-chain').send(issued.chain.join(''));
  });

  app.get('/api/v2/trustBundle', async () => ({
    chains: [{ certificates: ca.chain.map((cert) => cert.toString()) }],
  }));

  app.get('/api/v2/configuration', async () => ({
    issuers: ca.tokens.issuers.map(configurationOf),
  }));
  if (ctLog) registerCtRoutes(app, ctLog);
  // With a CT log on PostgreSQL, whether this replica integrates it (one does, under the lease).
  app.get('/healthz', async () => ({
    status: 'ok',
    ...(ctLog ? { ctLogIntegrating: ctLog.integrating } : {}),
  }));
  registerMetricsRoute(app, metrics.registry);
  return app;
}

const ISSUANCE_PATHS = new Set(['/api/v1/signingCert', '/api/v2/signingCert']);
const REFUSAL_REASONS: Record<number, string> = { 400: 'invalid', 401: 'bad_token', 502: 'ct_unavailable' };

function isIssuance(request: FastifyRequest): boolean {
  return request.method === 'POST' && ISSUANCE_PATHS.has(request.routeOptions.url ?? '');
}

/** Fulcio's OIDCIssuer message in its JSON form, where empty fields are left out. */
function configurationOf(issuer: IssuerConfig) {
  return {
    [issuer.wildcard ? 'wildcardIssuerUrl' : 'issuerUrl']: issuer.issuerUrl,
    audience: issuer.clientId,
    challengeClaim: issuer.type === 'email' ? 'email' : 'sub',
    ...(issuer.spiffeTrustDomain ? { spiffeTrustDomain: issuer.spiffeTrustDomain } : {}),
    issuerType: issuer.type,
    ...(issuer.subjectDomain ? { subjectDomain: issuer.subjectDomain } : {}),
  };
}

/** A service the CA depends on (an external CT log) failed: the request itself was fine. */
function upstreamFailed(error: unknown): boolean {
  return isSigilError(error, 'SERVICE_UNREACHABLE') || isSigilError(error, 'SERVICE_ERROR');
}

export interface RunningCa {
  url: string;
  close(): Promise<void>;
}

export async function startCa(
  ca: CertificateAuthority,
  host: string,
  port: number,
  ctLog?: CtLog,
): Promise<RunningCa> {
  const app = buildCaApp(ca, ctLog);
  return { url: await listenUrl(app, host, port), close: () => app.close() };
}
