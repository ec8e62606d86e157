/**
 * Identity-token sources against local servers: GitHub Actions' token service, and a small OpenID Connect
 * provider (discovery, authorization with PKCE, token endpoint, device authorization) written here, with
 * the browser simulated by fetching the authorization URL and following its redirect to the loopback.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { decodeJwt, SignJWT } from 'jose';
import { isSigilError, type SigilError } from '../../src/core/index.js';
import {
  checkTokenFreshness,
  githubTokenUrl,
  resolveIdentityToken,
  tokenFromBrowser,
  tokenFromDeviceFlow,
  tokenFromEnv,
  tokenFromFlag,
  tokenFromGitHubActions,
} from '../../src/oidc/sources/index.js';

const SECRET = randomBytes(32);

async function jwt(claims: Record<string, unknown> = {}, expiresInSeconds = 600): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ sub: 'someone@example.com', ...claims })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt(now)
    .setExpirationTime(now + expiresInSeconds)
    .sign(SECRET);
}

async function rejectsWith(promise: Promise<unknown>, code: string, pattern: RegExp): Promise<SigilError> {
  let caught: SigilError | undefined;
  await assert.rejects(promise, (err) => {
    assert.ok(isSigilError(err), `not a SigilError: ${err}`);
    assert.equal(err.code, code, err.message);
    assert.match(err.message, pattern);
    assert.ok(!err.message.includes('\n'), 'one line');
    caught = err;
    return true;
  });
  return caught!;
}

const quiet = () => undefined;

// ---------------------------------------------------------------------------------------------------------
// One local server plays GitHub's token service and an OpenID Connect provider.

interface Recorded {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  form: URLSearchParams;
}

type OidcMode = 'normal' | 'tamper-state' | 'wrong-challenge' | 'wrong-nonce' | 'deny';

let base = '';
const requests: Recorded[] = [];
let oidcMode: OidcMode = 'normal';
let advertisedMethods: string[] | undefined = ['S256'];
let discoveryIssuer: string | undefined;
let githubAnswer: (res: ServerResponse) => void = (res) => res.end(JSON.stringify({ value: 'unused' }));
/** Token endpoint answers for the device grant, in order; the last one repeats. */
let deviceAnswers: Array<{ status: number; body: Record<string, unknown> }> = [];
const issued = new Map<string, { challenge: string; nonce: string; redirectUri: string; clientId: string }>();
let deviceChallenge = '';
let pkceVerified = 0;

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
}

const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');

async function handle(req: Recorded, res: ServerResponse): Promise<void> {
  const url = new URL(req.url, base);
  if (url.pathname === '/github/token') return githubAnswer(res);
  if (url.pathname === '/.well-known/openid-configuration') {
    return json(res, 200, {
      issuer: discoveryIssuer ?? base,
      authorization_endpoint: `${base}/authorize?tenant=t1`,
      token_endpoint: `${base}/token`,
      device_authorization_endpoint: `${base}/device`,
      jwks_uri: `${base}/jwks`,
      ...(advertisedMethods ? { code_challenge_methods_supported: advertisedMethods } : {}),
    });
  }
  if (url.pathname === '/authorize') {
    const q = url.searchParams;
    const redirectUri = q.get('redirect_uri') ?? '';
    const ok =
      q.get('tenant') === 't1' &&
      q.get('response_type') === 'code' &&
      q.get('code_challenge_method') === 'S256' &&
      (q.get('code_challenge') ?? '').length === 43 &&
      q.get('scope') === 'openid email' &&
      /^http:\/\/127\.0\.0\.1:\d+\/auth\/callback$/.test(redirectUri) &&
      Boolean(q.get('state')) &&
      Boolean(q.get('nonce'));
    if (!ok) return json(res, 400, { error: 'invalid_request' });
    const code = randomBytes(8).toString('hex');
    issued.set(code, {
      challenge: oidcMode === 'wrong-challenge' ? s256('another verifier') : (q.get('code_challenge') ?? ''),
      nonce: oidcMode === 'wrong-nonce' ? 'not-the-nonce' : (q.get('nonce') ?? ''),
      redirectUri,
      clientId: q.get('client_id') ?? '',
    });
    const back = new URL(redirectUri);
    if (oidcMode === 'deny') {
      back.searchParams.set('error', 'access_denied');
      back.searchParams.set('error_description', 'the user said no');
    } else {
      back.searchParams.set('code', code);
    }
    back.searchParams.set('state', oidcMode === 'tamper-state' ? 'forged' : (q.get('state') ?? ''));
    res.writeHead(302, { Location: back.toString() }).end();
    return;
  }
  if (url.pathname === '/token' && req.form.get('grant_type') === 'authorization_code') {
    const grant = issued.get(req.form.get('code') ?? '');
    if (!grant) return json(res, 400, { error: 'invalid_grant', error_description: 'unknown code' });
    issued.delete(req.form.get('code') ?? '');
    if (s256(req.form.get('code_verifier') ?? '') !== grant.challenge) {
      return json(res, 400, { error: 'invalid_grant', error_description: 'PKCE verification failed' });
    }
    pkceVerified++;
    if (req.form.get('redirect_uri') !== grant.redirectUri || req.form.get('client_id') !== grant.clientId) {
      return json(res, 400, {
        error: 'invalid_grant',
        error_description: 'redirect_uri or client_id differ',
      });
    }
    const idToken = await jwt({ iss: base, aud: grant.clientId, nonce: grant.nonce });
    return json(res, 200, { access_token: 'at', token_type: 'Bearer', id_token: idToken });
  }
  if (url.pathname === '/device') {
    if (req.form.get('code_challenge_method') !== 'S256') return json(res, 400, { error: 'invalid_request' });
    deviceChallenge = req.form.get('code_challenge') ?? '';
    return json(res, 200, {
      device_code: 'DEV-CODE',
      user_code: 'WDJB-MJHT',
      verification_uri: `${base}/activate`,
      expires_in: 600,
      interval: 1,
    });
  }
  if (
    url.pathname === '/token' &&
    req.form.get('grant_type') === 'urn:ietf:params:oauth:grant-type:device_code'
  ) {
    if (
      req.form.get('device_code') !== 'DEV-CODE' ||
      s256(req.form.get('code_verifier') ?? '') !== deviceChallenge
    ) {
      return json(res, 400, { error: 'invalid_grant' });
    }
    pkceVerified++;
    const next = deviceAnswers.length > 1 ? deviceAnswers.shift() : deviceAnswers[0];
    if (!next) return json(res, 500, { error: 'server_error' });
    if (next.body.id_token === 'MINT') return json(res, next.status, { id_token: await jwt({ iss: base }) });
    return json(res, next.status, next.body);
  }
  json(res, 404, { error: 'not_found' });
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const recorded: Recorded = {
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      form: new URLSearchParams(Buffer.concat(chunks).toString('utf8')),
    };
    requests.push(recorded);
    handle(recorded, res).catch((err: unknown) => json(res, 500, { error: String(err) }));
  });
});

before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server.closeAllConnections();
  return new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => {
  requests.length = 0;
  oidcMode = 'normal';
  advertisedMethods = ['S256'];
  discoveryIssuer = undefined;
  deviceAnswers = [];
  pkceVerified = 0;
  issued.clear();
});

/**
 * The browser: loads the authorization URL and follows the redirect to the loopback callback. `visits`
 * holds the callback's status per visit (the flow does not wait for its opener).
 */
function simulatedBrowser() {
  const visits: Promise<number>[] = [];
  const open = (authorizationUrl: string) => {
    const visit = (async () => {
      const authorize = await fetch(authorizationUrl, { redirect: 'manual' });
      const location = authorize.headers.get('location');
      assert.equal(authorize.status, 302, 'the provider redirects back');
      assert.ok(location);
      const callback = await fetch(location);
      await callback.text();
      return callback.status;
    })();
    visits.push(visit);
    return visit.then(() => undefined);
  };
  return { open, visits };
}

const ghEnv = (url = `${base}/github/token?api-version=2.0`) => ({
  GITHUB_ACTIONS: 'true',
  ACTIONS_ID_TOKEN_REQUEST_URL: url,
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'request-secret',
});

// ---------------------------------------------------------------------------------------------------------

describe('--identity-token', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sigil-oidc-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('takes a raw token as it is', async () => {
    const token = await jwt();
    assert.deepEqual(await tokenFromFlag(token), { token, source: '--identity-token' });
  });

  it('reads a file at that path and trims it', async () => {
    const token = await jwt();
    const path = join(dir, 'token');
    await writeFile(path, `\n  ${token}\n`);
    assert.deepEqual(await tokenFromFlag(path), { token, source: `--identity-token file ${path}` });
  });

  it('rejects an empty file, and a value that is neither a file nor a JWT', async () => {
    const empty = join(dir, 'empty');
    await writeFile(empty, '\n');
    await rejectsWith(tokenFromFlag(empty), 'BAD_INPUT', /identity token file .* is empty/);
    await rejectsWith(
      tokenFromFlag('token.jwt.txt'),
      'BAD_INPUT',
      /neither a JWT nor the path of a file: token\.jwt\.txt$/,
    );
    const err = await rejectsWith(
      tokenFromFlag(join(dir, 'missing')),
      'BAD_INPUT',
      /neither a JWT nor the path of a file/,
    );
    assert.match(err.hint ?? '', /raw OIDC token/);
  });
});

describe('SIGSTORE_ID_TOKEN', () => {
  it('takes the variable', async () => {
    assert.deepEqual(await tokenFromEnv({ SIGSTORE_ID_TOKEN: ' tok.en.x \n' }), {
      token: 'tok.en.x',
      source: 'SIGSTORE_ID_TOKEN',
    });
  });

  it('fails when it is unset or empty', async () => {
    await rejectsWith(tokenFromEnv({}), 'BAD_INPUT', /SIGSTORE_ID_TOKEN is not set/);
    await rejectsWith(tokenFromEnv({ SIGSTORE_ID_TOKEN: '  ' }), 'BAD_INPUT', /not set/);
  });
});

describe('GitHub Actions ambient token', () => {
  it('appends the audience with & or ? as the URL needs', () => {
    assert.equal(
      githubTokenUrl('https://x/t?api-version=2.0', 'sigstore'),
      'https://x/t?api-version=2.0&audience=sigstore',
    );
    assert.equal(githubTokenUrl('https://x/t', 'sigstore'), 'https://x/t?audience=sigstore');
    assert.equal(githubTokenUrl('https://x/t?', 'sigstore'), 'https://x/t?audience=sigstore');
    assert.equal(githubTokenUrl('https://x/t?a=1&', 'a b'), 'https://x/t?a=1&audience=a%20b');
  });

  it('asks with the bearer request token and audience=sigstore, and returns "value"', async () => {
    const token = await jwt({ iss: 'https://token.actions.githubusercontent.com' });
    githubAnswer = (res) => json(res, 200, { count: 1, value: token });
    const result = await tokenFromGitHubActions(ghEnv());
    assert.deepEqual(result, { token, source: 'GitHub Actions' });
    assert.equal(requests.length, 1);
    assert.equal(requests[0]?.method, 'GET');
    assert.equal(requests[0]?.url, '/github/token?api-version=2.0&audience=sigstore');
    assert.equal(requests[0]?.headers.authorization, 'Bearer request-secret');
  });

  it('uses ? when the request URL has no query', async () => {
    githubAnswer = (res) => json(res, 200, { value: 'a.b.c' });
    await tokenFromGitHubActions(ghEnv(`${base}/github/token`));
    assert.equal(requests[0]?.url, '/github/token?audience=sigstore');
  });

  it('reports a refusal with the permission hint, and an answer without a value', async () => {
    githubAnswer = (res) => json(res, 403, { message: 'Resource not accessible by integration' });
    const err = await rejectsWith(
      tokenFromGitHubActions(ghEnv()),
      'SERVICE_ERROR',
      /answered 403: Resource not accessible by integration$/,
    );
    assert.match(err.hint ?? '', /permissions: id-token: write/);
    githubAnswer = (res) => json(res, 200, { count: 0 });
    await rejectsWith(tokenFromGitHubActions(ghEnv()), 'SERVICE_ERROR', /without a "value"/);
  });

  it('retries when the service cannot be reached, then reports it', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const lines: string[] = [];
    await rejectsWith(
      tokenFromGitHubActions(ghEnv(`http://127.0.0.1:${port}/t?x=1`), {
        attempts: 3,
        retryDelayMs: 1,
        log: (l) => lines.push(l),
      }),
      'SERVICE_UNREACHABLE',
      /GitHub Actions OIDC token: GET http:\/\/127\.0\.0\.1:\d+\/t\?x=1&audience=sigstore/,
    );
    assert.equal(lines.length, 2);
    assert.match(lines[0] ?? '', /will retry/);
  });

  it('without the id-token permission, says to add it', async () => {
    const env = { GITHUB_ACTIONS: 'true' };
    const err = await rejectsWith(
      tokenFromGitHubActions(env),
      'BAD_INPUT',
      /running in GitHub Actions but ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN are not set/,
    );
    assert.match(err.hint ?? '', /permissions: id-token: write/);
    // resolve says the same, and does not fall back to an interactive login nobody can do
    for (const interactive of [false, true]) {
      const viaResolve = await rejectsWith(
        resolveIdentityToken({
          env,
          interactive,
          log: quiet,
          openBrowser: () => assert.fail('no browser in CI'),
        }),
        'BAD_INPUT',
        /^no OIDC identity token: running in GitHub Actions/,
      );
      assert.match(viaResolve.hint ?? '', /permissions: id-token: write/);
    }
  });
});

describe('resolveIdentityToken: order of sources', () => {
  it('takes the flag first, then SIGSTORE_ID_TOKEN, then GitHub Actions', async () => {
    const flagToken = await jwt({ sub: 'flag' });
    const envToken = await jwt({ sub: 'env' });
    const ghToken = await jwt({ sub: 'gh' });
    githubAnswer = (res) => json(res, 200, { value: ghToken });
    const env = { ...ghEnv(), SIGSTORE_ID_TOKEN: envToken };

    assert.deepEqual(await resolveIdentityToken({ flag: flagToken, env, interactive: false, log: quiet }), {
      token: flagToken,
      source: '--identity-token',
    });
    assert.deepEqual(await resolveIdentityToken({ env, interactive: false, log: quiet }), {
      token: envToken,
      source: 'SIGSTORE_ID_TOKEN',
    });
    // an empty flag counts as not given, as in cosign
    assert.equal(
      (await resolveIdentityToken({ flag: '', env, interactive: false, log: quiet })).source,
      'SIGSTORE_ID_TOKEN',
    );
    assert.equal(requests.length, 0, 'GitHub is not asked while an earlier source answers');

    const { SIGSTORE_ID_TOKEN: _unused, ...withoutEnvToken } = env;
    assert.deepEqual(await resolveIdentityToken({ env: withoutEnvToken, interactive: true, log: quiet }), {
      token: ghToken,
      source: 'GitHub Actions',
    });
    assert.equal(requests.length, 1);
  });

  it('with no source and no interactive login, names every way to provide one', async () => {
    const err = await rejectsWith(
      resolveIdentityToken({ env: {}, interactive: false, log: quiet }),
      'BAD_INPUT',
      /^no OIDC identity token: /,
    );
    assert.match(err.hint ?? '', /--identity-token/);
    assert.match(err.hint ?? '', /SIGSTORE_ID_TOKEN/);
    assert.match(err.hint ?? '', /permissions: id-token: write/);
  });

  it('goes to the browser login when interactive', async () => {
    const result = await resolveIdentityToken({
      env: {},
      interactive: true,
      issuerUrl: base,
      log: quiet,
      openBrowser: simulatedBrowser().open,
    });
    assert.equal(result.source, `browser login at ${base}`);
    assert.equal(pkceVerified, 1);
  });

  it('goes to the device flow when asked', async () => {
    deviceAnswers = [{ status: 200, body: { id_token: 'MINT' } }];
    const result = await resolveIdentityToken({
      env: {},
      interactive: true,
      flow: 'device',
      issuerUrl: base,
      log: quiet,
      sleep: async () => undefined,
    });
    assert.equal(result.source, `device login at ${base}`);
  });

  it('refuses an expired token from any source', async () => {
    const stale = await jwt({}, -60);
    await rejectsWith(
      resolveIdentityToken({ env: { SIGSTORE_ID_TOKEN: stale }, interactive: false, log: quiet }),
      'BAD_TOKEN',
      /identity token expired at .*; request a new one/,
    );
  });
});

describe('browser login (authorization code + PKCE, loopback redirect)', () => {
  it('logs in: discovery, PKCE checked by the provider, state and nonce round-trip', async () => {
    const lines: string[] = [];
    const browser = simulatedBrowser();
    const result = await tokenFromBrowser({
      issuerUrl: base,
      log: (l) => lines.push(l),
      openBrowser: browser.open,
    });
    assert.equal(result.source, `browser login at ${base}`);
    const claims = decodeJwt(result.token);
    assert.equal(claims.iss, base);
    assert.equal(claims.aud, 'sigstore', 'default client id');
    assert.equal(pkceVerified, 1);
    assert.deepEqual(await Promise.all(browser.visits), [200]);

    const authorize = new URL(requests.find((r) => r.url.startsWith('/authorize'))?.url ?? '', base);
    assert.equal(authorize.searchParams.get('client_id'), 'sigstore');
    assert.equal(authorize.searchParams.get('nonce'), claims.nonce);
    assert.ok(lines.includes(authorize.toString()), 'the URL is shown to the person');
    const token = requests.find((r) => r.url === '/token');
    assert.equal(token?.method, 'POST');
    assert.equal(token?.form.get('grant_type'), 'authorization_code');
    assert.equal(token?.form.get('redirect_uri'), authorize.searchParams.get('redirect_uri'));
  });

  it('uses a given client id', async () => {
    const result = await tokenFromBrowser({
      issuerUrl: base,
      clientId: 'my-client',
      log: quiet,
      openBrowser: simulatedBrowser().open,
    });
    assert.equal(decodeJwt(result.token).aud, 'my-client');
  });

  it('rejects a callback whose state does not match, without redeeming the code', async () => {
    oidcMode = 'tamper-state';
    const browser = simulatedBrowser();
    await rejectsWith(
      tokenFromBrowser({ issuerUrl: base, log: quiet, openBrowser: browser.open }),
      'BAD_INPUT',
      /callback state does not match/,
    );
    assert.deepEqual(await Promise.all(browser.visits), [400]);
    assert.ok(!requests.some((r) => r.url === '/token'), 'no token request');
  });

  it('surfaces the provider refusing a code whose PKCE verifier does not match', async () => {
    oidcMode = 'wrong-challenge';
    await rejectsWith(
      tokenFromBrowser({ issuerUrl: base, log: quiet, openBrowser: simulatedBrowser().open }),
      'SERVICE_ERROR',
      /refused the authorization code \(400 invalid_grant: PKCE verification failed\)/,
    );
    assert.equal(pkceVerified, 0);
  });

  it('rejects an ID token whose nonce is not ours', async () => {
    oidcMode = 'wrong-nonce';
    await rejectsWith(
      tokenFromBrowser({ issuerUrl: base, log: quiet, openBrowser: simulatedBrowser().open }),
      'BAD_TOKEN',
      /nonce does not match/,
    );
  });

  it('reports a login the provider refused', async () => {
    oidcMode = 'deny';
    await rejectsWith(
      tokenFromBrowser({ issuerUrl: base, log: quiet, openBrowser: simulatedBrowser().open }),
      'SERVICE_ERROR',
      /refused the login: access_denied: the user said no/,
    );
  });

  it('times out when the browser never comes back, and says so when it cannot open one', async () => {
    const lines: string[] = [];
    await rejectsWith(
      tokenFromBrowser({
        issuerUrl: base,
        log: (l) => lines.push(l),
        openBrowser: () => {
          throw new Error('no display');
        },
        timeoutMs: 100,
      }),
      'BAD_INPUT',
      /no answer from the browser within/,
    );
    assert.ok(lines.some((l) => /cannot open a browser \(no display\)/.test(l)));
  });

  it('refuses an issuer that offers PKCE without S256, and a discovery document of another issuer', async () => {
    advertisedMethods = ['plain'];
    await rejectsWith(
      tokenFromBrowser({ issuerUrl: base, log: quiet, openBrowser: simulatedBrowser().open }),
      'UNSUPPORTED',
      /does not support PKCE with S256/,
    );
    advertisedMethods = undefined;
    discoveryIssuer = 'https://elsewhere.example';
    await rejectsWith(
      tokenFromBrowser({ issuerUrl: base, log: quiet, openBrowser: simulatedBrowser().open }),
      'SERVICE_ERROR',
      /the discovery document names issuer https:\/\/elsewhere\.example, not http/,
    );
    assert.ok(!requests.some((r) => r.url.startsWith('/authorize')));
  });
});

describe('device flow (RFC 8628)', () => {
  it('polls through authorization_pending at the given interval, then returns the token', async () => {
    deviceAnswers = [
      { status: 400, body: { error: 'authorization_pending' } },
      { status: 400, body: { error: 'authorization_pending' } },
      { status: 200, body: { id_token: 'MINT' } },
    ];
    const sleeps: number[] = [];
    const lines: string[] = [];
    const result = await tokenFromDeviceFlow({
      issuerUrl: base,
      log: (l) => lines.push(l),
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });
    assert.equal(result.source, `device login at ${base}`);
    assert.equal(decodeJwt(result.token).iss, base);
    assert.deepEqual(sleeps, [1000, 1000, 1000]);
    assert.equal(pkceVerified, 3, 'each poll carries the PKCE verifier');
    assert.ok(lines.some((l) => l.includes('WDJB-MJHT') && l.includes(`${base}/activate`)));
    const polls = requests.filter((r) => r.url === '/token');
    assert.equal(polls.length, 3);
    assert.equal(polls[0]?.form.get('client_id'), 'sigstore');
    assert.equal(requests.find((r) => r.url === '/device')?.form.get('scope'), 'openid email');
  });

  it('slows down by 5 s on slow_down', async () => {
    deviceAnswers = [
      { status: 400, body: { error: 'slow_down' } },
      { status: 400, body: { error: 'authorization_pending' } },
      { status: 200, body: { id_token: 'MINT' } },
    ];
    const sleeps: number[] = [];
    await tokenFromDeviceFlow({ issuerUrl: base, log: quiet, sleep: async (ms) => void sleeps.push(ms) });
    assert.deepEqual(sleeps, [1000, 6000, 6000]);
  });

  it('stops on expired_token and on access_denied', async () => {
    deviceAnswers = [
      { status: 400, body: { error: 'authorization_pending' } },
      { status: 400, body: { error: 'expired_token' } },
    ];
    await rejectsWith(
      tokenFromDeviceFlow({ issuerUrl: base, log: quiet, sleep: async () => undefined }),
      'BAD_INPUT',
      /device code expired before the login was completed/,
    );
    deviceAnswers = [{ status: 400, body: { error: 'access_denied' } }];
    await rejectsWith(
      tokenFromDeviceFlow({ issuerUrl: base, log: quiet, sleep: async () => undefined }),
      'BAD_INPUT',
      /login was denied/,
    );
  });

  it('stops when the device code outlives expires_in, and on an unknown error', async () => {
    deviceAnswers = [{ status: 400, body: { error: 'authorization_pending' } }];
    let clock = 0;
    await rejectsWith(
      tokenFromDeviceFlow({
        issuerUrl: base,
        log: quiet,
        now: () => clock,
        sleep: async (ms) => {
          clock += ms * 100;
        },
      }),
      'BAD_INPUT',
      /expired/,
    );
    deviceAnswers = [{ status: 400, body: { error: 'invalid_client', error_description: 'who are you' } }];
    await rejectsWith(
      tokenFromDeviceFlow({ issuerUrl: base, log: quiet, sleep: async () => undefined }),
      'SERVICE_ERROR',
      /400 invalid_client: who are you/,
    );
  });
});

describe('checkTokenFreshness', () => {
  it('returns the claims of a valid token', async () => {
    const token = await jwt({ email: 'a@example.com' });
    assert.equal(checkTokenFreshness(token).email, 'a@example.com');
  });

  it('rejects an expired token, naming when it expired', async () => {
    const token = await jwt({}, 600);
    const exp = decodeJwt(token).exp ?? 0;
    const err = await rejectsWith(
      Promise.resolve().then(() => checkTokenFreshness(token, new Date((exp + 1) * 1000))),
      'BAD_TOKEN',
      /^identity token expired at /,
    );
    assert.equal(
      err.message,
      `identity token expired at ${new Date(exp * 1000).toISOString()}; request a new one`,
    );
    assert.ok(err.hint);
  });

  it('rejects what is not a JWT', async () => {
    for (const bad of ['', 'abc', 'a.b.c', 'x.eyJmb28iOjF9']) {
      const err = await rejectsWith(
        Promise.resolve().then(() => checkTokenFreshness(bad)),
        'BAD_TOKEN',
        /^identity token is not a JWT$/,
      );
      assert.ok(err.hint);
    }
  });
});
