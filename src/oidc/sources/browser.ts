/**
 * Interactive browser login, as cosign's default flow (sigstore/sigstore pkg/oauthflow): OAuth 2.0
 * authorization code with PKCE (S256), a one-shot loopback server on 127.0.0.1 (RFC 8252) receiving the
 * redirect at /auth/callback, random state (checked on the callback) and nonce (checked in the ID token).
 * Endpoints come from the issuer's discovery document. The ID token's signature is not checked here: the
 * CA verifies it against the issuer's keys.
 */
import { spawn } from 'node:child_process';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt } from 'jose/jwt/decode';
import { messageOf, SigilError } from '../../core/index.js';
import { discoverIssuer, requireEndpoint, requireS256 } from './discovery.js';
import { jsonObject, oauthErrorText, send } from './http.js';
import { createPkce, randomToken } from './pkce.js';
import {
  DEFAULT_HTTP_TIMEOUT_MS,
  DEFAULT_OIDC_CLIENT_ID,
  DEFAULT_OIDC_ISSUER,
  type Log,
  OIDC_SCOPES,
  type TokenResult,
} from './types.js';

export const CALLBACK_PATH = '/auth/callback';
/** How long the person has to log in (cosign waits 120 s). */
export const DEFAULT_LOGIN_TIMEOUT_MS = 120_000;

/** Shows the authorization URL to the person; resolves once the browser was started (or not). */
export type BrowserOpener = (url: string) => void | Promise<void>;

export interface BrowserLoginOptions {
  /** Default: the public-good Sigstore issuer. */
  issuerUrl?: string;
  /** Default `sigstore`. */
  clientId?: string;
  /** For confidential clients; public clients (the default) have none. */
  clientSecret?: string;
  /** Where the URL and progress lines go (the CLI wires it to stderr). */
  log: Log;
  /** Default: the system browser (`xdg-open`, `open` on macOS). */
  openBrowser?: BrowserOpener;
  /** How long to wait for the redirect (default 120 s). */
  timeoutMs?: number;
  /** Per HTTP call to the issuer. */
  httpTimeoutMs?: number;
  /** Loopback port (default 0: any free port), for providers that register one fixed redirect URI. */
  redirectPort?: number;
}

export async function tokenFromBrowser(options: BrowserLoginOptions): Promise<TokenResult> {
  const clientId = options.clientId ?? DEFAULT_OIDC_CLIENT_ID;
  const httpTimeoutMs = options.httpTimeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS;
  const endpoints = await discoverIssuer(options.issuerUrl ?? DEFAULT_OIDC_ISSUER, {
    timeoutMs: httpTimeoutMs,
  });
  const authorizationEndpoint = requireEndpoint(endpoints, 'authorizationEndpoint', 'browser login');
  const tokenEndpoint = requireEndpoint(endpoints, 'tokenEndpoint', 'browser login');
  requireS256(endpoints);

  const state = randomToken();
  const nonce = randomToken();
  const pkce = createPkce();
  const loopback = await startLoopback(state, options.redirectPort ?? 0);
  try {
    const url = new URL(authorizationEndpoint);
    const params: Record<string, string> = {
      access_type: 'online',
      client_id: clientId,
      code_challenge: pkce.challenge,
      code_challenge_method: pkce.method,
      nonce,
      redirect_uri: loopback.redirectUri,
      response_type: 'code',
      scope: OIDC_SCOPES,
      state,
    };
    for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
    const authorizationUrl = url.toString();

    options.log('Your browser will now be opened to:');
    options.log(authorizationUrl);
    // The opener runs beside the wait: a browser that never returns must not hold up the login.
    Promise.resolve()
      .then(() => (options.openBrowser ?? openSystemBrowser)(authorizationUrl))
      .catch((err: unknown) =>
        options.log(`cannot open a browser (${messageOf(err)}); open the URL above yourself`),
      );

    const code = await withTimeout(loopback.code, options.timeoutMs ?? DEFAULT_LOGIN_TIMEOUT_MS);
    const form: Record<string, string> = {
      grant_type: 'authorization_code',
      code,
      redirect_uri: loopback.redirectUri,
      client_id: clientId,
      code_verifier: pkce.verifier,
    };
    if (options.clientSecret) form.client_secret = options.clientSecret;
    const idToken = await exchange('browser login', tokenEndpoint, form, httpTimeoutMs);
    checkNonce(idToken, nonce);
    return { token: idToken, source: `browser login at ${endpoints.issuer}` };
  } finally {
    loopback.close();
  }
}

/** POSTs a grant to the token endpoint and returns the `id_token` of a successful answer. */
async function exchange(
  flow: string,
  tokenEndpoint: string,
  form: Record<string, string>,
  timeoutMs: number,
): Promise<string> {
  const what = `${flow}: token request`;
  const answer = await send(what, tokenEndpoint, {
    method: 'POST',
    form,
    timeoutMs,
    unreachableHint: 'check the network and --oidc-issuer',
  });
  const body = jsonObject(what, answer);
  if (!answer.ok) {
    throw new SigilError(
      'SERVICE_ERROR',
      `${what}: ${tokenEndpoint} refused the authorization code (${answer.status} ${oauthErrorText(body)})`,
      'start the login again',
    );
  }
  if (typeof body.id_token !== 'string' || body.id_token === '') {
    throw new SigilError(
      'SERVICE_ERROR',
      `${what}: ${tokenEndpoint} answered without an id_token`,
      'the provider must be an OpenID Connect provider that honours the `openid` scope',
    );
  }
  return body.id_token;
}

function checkNonce(idToken: string, nonce: string): void {
  let claimed: unknown;
  try {
    claimed = decodeJwt(idToken).nonce;
  } catch {
    throw new SigilError('BAD_TOKEN', 'browser login: the id_token from the token endpoint is not a JWT');
  }
  if (claimed !== nonce) {
    throw new SigilError(
      'BAD_TOKEN',
      'browser login: the id_token nonce does not match the one sent in the login request',
      'start the login again; a repeated mismatch means the token was not issued for this login',
    );
  }
}

interface Loopback {
  redirectUri: string;
  /** Settles once: the code of the first callback with our state, or the error of the first bad one. */
  code: Promise<string>;
  close(): void;
}

async function startLoopback(state: string, port: number): Promise<Loopback> {
  let settle: { resolve(code: string): void; reject(err: SigilError): void } | undefined;
  const code = new Promise<string>((resolve, reject) => {
    settle = { resolve, reject };
  });
  code.catch(() => undefined); // a rejection before anyone awaits is not an unhandled one
  let done = false;
  const finish = (result: string | SigilError) => {
    if (done || !settle) return;
    done = true;
    if (typeof result === 'string') settle.resolve(result);
    else settle.reject(result);
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method !== 'GET' || url.pathname !== CALLBACK_PATH) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    if (done) {
      page(res, 409, 'This login has already finished.');
      return;
    }
    const params = url.searchParams;
    if (params.get('state') !== state) {
      page(res, 400, 'Sigstore login failed: the state does not match. Start the login again.');
      finish(
        new SigilError(
          'BAD_INPUT',
          'browser login: the callback state does not match the login request (possible cross-site request forgery)',
          'start the login again in the browser the command opened',
        ),
      );
      return;
    }
    const error = params.get('error');
    if (error) {
      page(res, 400, 'Sigstore login failed. Return to the terminal for details.');
      const description = params.get('error_description');
      finish(
        new SigilError(
          'SERVICE_ERROR',
          `browser login: the identity provider refused the login: ${oauthErrorText({ error, error_description: description ?? undefined })}`,
          'start the login again, or pass --identity-token',
        ),
      );
      return;
    }
    const authorizationCode = params.get('code');
    if (!authorizationCode) {
      page(res, 400, 'Sigstore login failed: no authorization code. Start the login again.');
      finish(new SigilError('SERVICE_ERROR', 'browser login: the callback carries no authorization code'));
      return;
    }
    page(res, 200, 'Sigstore Auth Successful. You may now close this page.');
    finish(authorizationCode);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(
        new SigilError(
          'IO_ERROR',
          `browser login: cannot listen on 127.0.0.1:${port}: ${messageOf(err)}`,
          'free the port',
        ),
      ),
    );
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    redirectUri: `http://127.0.0.1:${bound}${CALLBACK_PATH}`,
    code,
    close() {
      finish(new SigilError('BAD_INPUT', 'browser login: abandoned'));
      server.close();
      server.closeIdleConnections();
      // A browser may keep a connection open; do not let it hold the process.
      setTimeout(() => server.closeAllConnections(), 1000).unref();
    },
  };
}

function page(res: ServerResponse, status: number, text: string): void {
  res
    .writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', Connection: 'close' })
    .end(`<!doctype html><html><head><title>Sigstore Auth</title></head><body><p>${text}</p></body></html>`);
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new SigilError(
            'BAD_INPUT',
            `browser login: no answer from the browser within ${Math.round(ms / 1000)} s`,
            'finish the login in the browser sooner, use the device flow, or pass --identity-token',
          ),
        ),
      ms,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Starts the system browser on `url` (detached); rejects when no opener program can be started. */
export function openSystemBrowser(url: string): Promise<void> {
  const [command, args]: [string, string[]] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['rundll32', ['url.dll,FileProtocolHandler', url]]
        : ['xdg-open', [url]];
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: 'ignore', detached: true });
    child.once('error', reject);
    child.once('spawn', () => {
      child.unref();
      resolve();
    });
  });
}
