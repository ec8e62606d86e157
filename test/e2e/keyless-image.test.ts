/**
 * Keyless image signing as a user does it: `sigil serve`'s stack, a GitHub-Actions-shaped token from the
 * dev issuer, `sigil sign --yes` (no key), and `sigil verify` with identity flags; the trust files are
 * found under ./.sigil as `sigil serve` writes them.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createCaMaterial } from '../../src/ca/index.js';
import { encodePem } from '../../src/core/index.js';
import { formatReference, parseReference, pushTestImage, RegistryClient } from '../../src/oci/index.js';
import { type RunningStack, startStack } from '../../src/server/index.js';
import { logKeyPath } from '../../src/tlog/index.js';
import { parseTrustedRoot } from '../../src/verify/index.js';
import { errorLine, sigil, workDir } from '../helpers/cli.js';

describe('keyless sign and verify of an image', () => {
  let stack: RunningStack;
  let dir: string;
  let image: string;
  let issuer: string;
  const identity = 'https://github.com/org/app/.github/workflows/release.yml@refs/heads/main';

  before(async () => {
    dir = await workDir();
    stack = await startStack({ dataDir: join(dir, '.sigil'), host: '127.0.0.1' });
    issuer = stack.issuers['github-actions'];
    const reference = parseReference(`${stack.registryAddress}/org/app:v1`);
    const digest = await pushTestImage(new RegistryClient({}), reference, { files: { 'app.txt': 'v1\n' } });
    image = formatReference({ ...reference, tag: undefined, digest });
    const token = await stack.mintToken({ kind: 'github-actions', repository: 'org/app' });
    const signed = await sigil(['sign', '--yes', '--identity-token', token, image], { cwd: dir });
    assert.equal(signed.code, 0, signed.stderr);
  });
  after(() => stack.close());

  const verify = (...flags: string[]) => sigil(['verify', ...flags, image], { cwd: dir });

  it('verifies with an exact identity and issuer, printing cosign-style JSON', async () => {
    const result = await verify('--certificate-identity', identity, '--certificate-oidc-issuer', issuer);
    assert.equal(result.code, 0, result.stderr);
    const [claims] = JSON.parse(result.stdout);
    assert.equal(claims.critical.image['docker-manifest-digest'], image.split('@')[1]);
    assert.match(result.stderr, /code-signing certificate was verified/);
  });

  it('verifies with an anchored regexp and GitHub workflow flags', async () => {
    const result = await verify(
      '--certificate-identity-regexp',
      '^https://github.com/org/',
      '--certificate-oidc-issuer',
      issuer,
      '--certificate-github-workflow-repository',
      'org/app',
      '--certificate-github-workflow-trigger',
      'push',
    );
    assert.equal(result.code, 0, result.stderr);
  });

  it('rejects a wrong identity, a look-alike organisation, a wrong issuer and a wrong workflow field', async () => {
    for (const flags of [
      ['--certificate-identity', `${identity}-not`, '--certificate-oidc-issuer', issuer],
      ['--certificate-identity-regexp', '^https://github.com/org-evil/', '--certificate-oidc-issuer', issuer],
      ['--certificate-identity', identity, '--certificate-oidc-issuer', stack.issuers.email],
      [
        '--certificate-identity',
        identity,
        '--certificate-oidc-issuer',
        issuer,
        '--certificate-github-workflow-ref',
        'refs/heads/dev',
      ],
    ]) {
      const result = await verify(...flags);
      assert.equal(result.code, 1, `${flags.join(' ')} was accepted`);
      assert.match(errorLine(result), /no matching signatures/);
    }
  });

  it('requires identity flags, as cosign does, and refuses --key with them', async () => {
    const missing = await verify('--certificate-oidc-issuer', issuer);
    assert.equal(missing.code, 1);
    assert.match(errorLine(missing), /--certificate-identity or --certificate-identity-regexp is required/);
    const both = await verify(
      '--key',
      'cosign.pub',
      '--certificate-identity',
      identity,
      '--certificate-oidc-issuer',
      issuer,
    );
    assert.equal(both.code, 1);
    assert.match(errorLine(both), /mutually exclusive/);
  });

  it('refuses to sign with an expired token or a token from an unconfigured issuer', async () => {
    const expired = await stack.mintToken({ kind: 'github-actions', ttlSeconds: -60 });
    const late = await sigil(['sign', '--yes', '--identity-token', expired, image], { cwd: dir });
    assert.equal(late.code, 1);
    assert.match(errorLine(late), /expired/);
    const unsigned = await sigil(['sign', '--yes', image], {
      cwd: dir,
      env: { SIGSTORE_ID_TOKEN: 'not-a-jwt' },
    });
    assert.equal(unsigned.code, 1);
    assert.match(errorLine(unsigned), /JWT/);
  });

  it('tells GitHub Actions users to grant id-token: write when no token is available', async () => {
    const result = await sigil(['sign', '--yes', image], { cwd: dir, env: { GITHUB_ACTIONS: 'true' } });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /id-token: write/);
  });

  it('rejects the signature under a trusted root from another deployment', async () => {
    const other = await startStack({ dataDir: join(await workDir(), '.sigil'), host: '127.0.0.1' });
    try {
      const result = await verify(
        '--certificate-identity',
        identity,
        '--certificate-oidc-issuer',
        issuer,
        '--trusted-root',
        other.trustedRootPath,
      );
      assert.equal(result.code, 1);
      assert.match(errorLine(result), /no matching signatures/);
    } finally {
      await other.close();
    }
  });

  it('with the log off, a TSA timestamp is what proves the signing time (cosign --timestamp-server-url)', async () => {
    const reference = parseReference(`${stack.registryAddress}/org/timestamped:v1`);
    const digest = await pushTestImage(new RegistryClient({}), reference, { files: { 't.txt': 't\n' } });
    const stamped = formatReference({ ...reference, tag: undefined, digest });
    const token = await stack.mintToken({ kind: 'github-actions', repository: 'org/app' });
    const sign = (target: string, ...flags: string[]) =>
      sigil(['sign', '--yes', '--identity-token', token, '--tlog-upload=false', ...flags, target], {
        cwd: dir,
      });
    assert.equal((await sign(stamped, '--timestamp-server-url', stack.urls.tsa)).code, 0);
    const flags = [
      '--certificate-identity',
      identity,
      '--certificate-oidc-issuer',
      issuer,
      '--insecure-ignore-tlog',
    ];
    const ok = await sigil(['verify', ...flags, stamped], { cwd: dir });
    assert.equal(ok.code, 0, ok.stderr);

    const bareRef = parseReference(`${stack.registryAddress}/org/untimestamped:v1`);
    const bareDigest = await pushTestImage(new RegistryClient({}), bareRef, { files: { 'u.txt': 'u\n' } });
    const bare = formatReference({ ...bareRef, tag: undefined, digest: bareDigest });
    assert.equal((await sign(bare)).code, 0);
    const refused = await sigil(['verify', ...flags, bare], { cwd: dir });
    assert.equal(refused.code, 1);
    assert.match(errorLine(refused), /timestamp/);
  });

  it('--ca-roots with the log keys from the environment verifies without any trusted root', async () => {
    const elsewhere = await workDir(); // no .sigil here: nothing but the flags and variables
    const root = parseTrustedRoot(readFileSync(stack.trustedRootPath), 'trusted root');
    const caChain = root.certificateAuthorities[0]?.certChain?.certificates ?? [];
    const pem = (der: Uint8Array | undefined, label: string) => (der ? encodePem(label, der) : '');
    await writeFile(
      join(elsewhere, 'roots.pem'),
      caChain.map((c) => pem(c.rawBytes, 'CERTIFICATE')).join(''),
    );
    await writeFile(join(elsewhere, 'ctlog.pub'), pem(root.ctlogs[0]?.publicKey?.rawBytes, 'PUBLIC KEY'));
    const foreign = await createCaMaterial('elsewhere');
    await writeFile(join(elsewhere, 'foreign.pem'), foreign.chain.map((c) => c.toString()).join(''));
    const env = {
      SIGSTORE_REKOR_PUBLIC_KEY: `${logKeyPath(join(dir, '.sigil', 'tlog'))}.pub`,
      SIGSTORE_CT_LOG_PUBLIC_KEY_FILE: join(elsewhere, 'ctlog.pub'),
    };
    const flags = ['--certificate-identity', identity, '--certificate-oidc-issuer', issuer];
    const run = (extra: string[], variables: Record<string, string> = env) =>
      sigil(['verify', ...flags, ...extra, image], { cwd: elsewhere, env: variables });
    const ok = await run(['--ca-roots', 'roots.pem']);
    assert.equal(ok.code, 0, ok.stderr);
    const foreignRoots = await run(['--ca-roots', 'foreign.pem']);
    assert.equal(foreignRoots.code, 1);
    assert.match(errorLine(foreignRoots), /no matching signatures/);
    const noCtKey = await run(['--ca-roots', 'roots.pem'], {
      SIGSTORE_REKOR_PUBLIC_KEY: env.SIGSTORE_REKOR_PUBLIC_KEY,
    });
    assert.equal(noCtKey.code, 1);
    assert.match(errorLine(noCtKey), /no trusted CT log, so no SCT can be checked/);
    const noRoots = await run(['--ca-intermediates', 'roots.pem']);
    assert.match(errorLine(noRoots), /--ca-intermediates needs --ca-roots/);
  });
});
