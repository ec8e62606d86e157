/**
 * The console's server without a browser: the static front end with its security headers, the read-only
 * forwarding to the log, what it answers when a part is not configured or not built, and the registry
 * fence (images are read from the configured registry only, so the console cannot be made to fetch
 * other hosts).
 */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { listenUrl } from '../../src/core/index.js';
import { generateKeyPair } from '../../src/crypto/index.js';
import { RegistryClient } from '../../src/oci/index.js';
import { buildConsoleApp, registryReference } from '../../src/server/index.js';
import { buildTlogApp, logKeyFrom, SqliteLogStorage, TransparencyLog } from '../../src/tlog/index.js';

describe('console server', () => {
  let log: TransparencyLog;
  let tlog: FastifyInstance;
  let app: FastifyInstance;
  let assets: string;

  before(async () => {
    log = await TransparencyLog.open(
      new SqliteLogStorage(':memory:'),
      logKeyFrom(generateKeyPair().privateKey),
      {
        hostname: 'localhost',
      },
    );
    tlog = buildTlogApp(log);
    const tlogUrl = await listenUrl(tlog, '127.0.0.1', 0);
    assets = await mkdtemp(join(tmpdir(), 'sigil-ui-'));
    await writeFile(join(assets, 'index.html'), '<!doctype html><title>t</title>');
    await writeFile(join(assets, 'app.js'), 'export {};');
    app = buildConsoleApp({
      host: '127.0.0.1',
      port: 0,
      tlogUrl,
      assetsDir: assets,
      registry: { address: '127.0.0.1:1', client: new RegistryClient({ retries: 0 }) },
    });
  });
  after(async () => {
    await app.close();
    await tlog.close();
    await log.close();
  });

  it('serves the front end with a strict content security policy', async () => {
    const page = await app.inject({ url: '/ui/' });
    assert.equal(page.statusCode, 200);
    assert.match(page.headers['content-type'] as string, /text\/html/);
    assert.match(page.headers['content-security-policy'] as string, /default-src 'none'; script-src 'self'/);
    assert.match(page.headers['content-security-policy'] as string, /frame-ancestors 'none'/);
    assert.equal(page.headers['x-content-type-options'], 'nosniff');
    const script = await app.inject({ url: '/ui/assets/app.js' });
    assert.match(script.headers['content-type'] as string, /text\/javascript/);
    assert.equal((await app.inject({ url: '/ui/assets/nope.js' })).statusCode, 404);
    assert.equal((await app.inject({ url: '/' })).headers.location, '/ui/');
  });

  it('forwards the log reads and nothing else', async () => {
    const health = await app.inject({ url: '/ui/api/log/health' });
    assert.equal(health.statusCode, 200);
    assert.equal(health.json().treeSize, 0);
    assert.match(health.json().publicKey, /BEGIN PUBLIC KEY/);
    const bad = await app.inject({ url: '/ui/api/log/search?field=colour&value=x' });
    assert.equal(bad.statusCode, 400);
    assert.match(
      bad.json().message,
      /field must be one of hash, identity, issuer, publicKey, logIndex, uuid/,
    );
    assert.equal((await app.inject({ method: 'POST', url: '/ui/api/log/entries' })).statusCode, 404);
    const config = (await app.inject({ url: '/ui/api/config' })).json();
    assert.deepEqual(config, { tlog: true, registry: '127.0.0.1:1', admission: false, keyless: false });
    const admissions = await app.inject({ url: '/ui/api/admissions' });
    assert.equal(admissions.statusCode, 404);
    assert.match(admissions.json().error, /--admission-url/);
  });

  it('reads images from its registry only', async () => {
    assert.equal(registryReference('reg.internal:5000', 'org/app:v1'), 'reg.internal:5000/org/app:v1');
    assert.equal(
      registryReference('reg.internal:5000', 'reg.internal:5000/org/app:v1'),
      'reg.internal:5000/org/app:v1',
    );
    assert.throws(() => registryReference('reg.internal:5000', ''), /give an image reference/);
    const other = await app.inject({
      url: `/ui/api/image?ref=${encodeURIComponent('evil.example/org/app:v1')}`,
    });
    assert.equal(other.statusCode, 400);
    assert.match(other.json().error, /reads images from 127\.0\.0\.1:1 only, not evil\.example/);
  });

  it('checks a verify question before touching the registry, and reads small bodies only', async () => {
    const ask = (payload: unknown) =>
      app.inject({ method: 'POST', url: '/ui/api/verify', payload: payload as object });
    const cases: [unknown, RegExp][] = [
      [{ ref: 'org/app:v1' }, /give a public key, or a certificate identity and OIDC issuer/],
      [{ ref: 'org/app:v1', key: 'k', identity: 'i', issuer: 'o' }, /not both/],
      [{ ref: 'org/app:v1', key: 42 }, /key must be a string/],
      [{ ref: 'org/app:v1', key: 'not a pem' }, /public key/],
      [{ ref: 'org/app:v1', identity: 'me@example.com' }, /--certificate-oidc-issuer .* is required/],
      [
        { ref: 'org/app:v1', identity: 'me@example.com', issuer: 'https://oidc.example' },
        /no trusted root for keyless verification \(sigil console serve --trusted-root\)/,
      ],
      [{ ref: 'evil.example/org/app:v1', key: 'k' }, /reads images from 127\.0\.0\.1:1 only/],
    ];
    for (const [payload, error] of cases) {
      const answer = await ask(payload);
      assert.equal(answer.statusCode, 400, JSON.stringify(payload));
      assert.match(answer.json().error, error);
    }
    const huge = await ask({ ref: 'org/app:v1', key: 'x'.repeat(20_000) });
    assert.equal(huge.statusCode, 413);
    assert.equal((await app.inject({ url: '/ui/api/verify' })).statusCode, 404, 'no GET');
  });

  it('says the front end is not built rather than failing to start', async () => {
    const bare = buildConsoleApp({
      host: '127.0.0.1',
      port: 0,
      tlogUrl: 'http://127.0.0.1:1',
      assetsDir: join(assets, 'none'),
    });
    try {
      const page = await bare.inject({ url: '/ui/' });
      assert.equal(page.statusCode, 503);
      assert.match(page.json().error, /npm run build/);
    } finally {
      await bare.close();
    }
  });
});
