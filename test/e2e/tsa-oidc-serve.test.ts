/**
 * The services a deployment runs apart (the Sigstore stack's Helm chart does): `sigil tsa serve` stamps
 * with the chain it is given or makes, and `sigil oidc serve --issuer-url` names the URL clients reach it
 * at in its discovery document and tokens, not the address it listens on.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { fetchTimestampCertChain, parseTimestampToken, requestTimestamp } from '../../src/tsa/index.js';
import { startSigilServer } from '../helpers/admission-serve.js';
import { sigil, workDir } from '../helpers/cli.js';
import { freePort } from '../helpers/ports.js';

describe('sigil tsa serve and oidc serve, one service each', () => {
  let dir: string;
  const servers: ChildProcess[] = [];
  const serve = async (args: string[], ready: string) => {
    const port = await freePort();
    servers.push(await startSigilServer([...args, '--addr', `127.0.0.1:${port}`], dir, ready));
    return `http://127.0.0.1:${port}`;
  };

  before(async () => {
    dir = await workDir();
  });
  after(() => {
    for (const server of servers) server.kill('SIGTERM');
  });

  it('tsa serve makes its chain once, stamps with it, and serves it; given files, it uses them', async () => {
    const made = await serve(['tsa', 'serve', '--data-dir', 'tsa'], 'timestamp authority listening on');
    const chain = await fetchTimestampCertChain(made);
    const token = parseTimestampToken(await requestTimestamp(made, Buffer.from('a signature')));
    assert.ok(token.genTime instanceof Date);
    const given = await serve(
      ['tsa', 'serve', '--certificate-chain', 'tsa/chain.pem', '--key', 'tsa/key.pem'],
      'timestamp authority listening on',
    );
    assert.deepEqual(await fetchTimestampCertChain(given), chain);
  });

  it('tsa serve refuses half a key pair, and a key that does not match the chain, in one line', async () => {
    const half = await sigil(['tsa', 'serve', '--key', 'tsa/key.pem'], { cwd: dir });
    assert.equal(half.code, 1);
    assert.match(half.stderr, /--certificate-chain and --key go together/);
    await serve(['tsa', 'serve', '--data-dir', 'other'], 'timestamp authority listening on');
    const mismatched = await sigil(
      [
        'tsa',
        'serve',
        '--addr',
        '127.0.0.1:0',
        '--certificate-chain',
        'other/chain.pem',
        '--key',
        'tsa/key.pem',
      ],
      { cwd: dir },
    );
    assert.equal(mismatched.code, 1);
    assert.match(mismatched.stderr, /TSA signing key does not match the leaf certificate/);
  });

  it('oidc serve --issuer-url: discovery and tokens name the public URL', async () => {
    const publicUrl = 'http://oidc.sigstore.svc:8080';
    const url = await serve(
      ['oidc', 'serve', '--issuer-url', `${publicUrl}/`],
      'dev OIDC issuer listening on',
    );
    const discovery = (await (
      await fetch(`${url}/github-actions/.well-known/openid-configuration`)
    ).json()) as {
      issuer: string;
    };
    assert.equal(discovery.issuer, `${publicUrl}/github-actions`);
    const minted = await fetch(`${url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'github-actions', repository: 'org/app' }),
    });
    const { id_token } = (await minted.json()) as { id_token: string };
    assert.equal(decodeJwt(id_token).iss, `${publicUrl}/github-actions`);
    const bad = await sigil(['oidc', 'serve', '--addr', '127.0.0.1:0', '--issuer-url', 'oidc.example'], {
      cwd: dir,
    });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--issuer-url "oidc.example" is not a URL/);
  });
});
