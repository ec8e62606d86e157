/**
 * Interop, keyless, with the real sigstore-python against sigil's private Sigstore, once with a Rekor v1
 * log and once with Rekor v2 + the TSA (one stack per suite). sigstore-python takes a private deployment
 * as one ClientTrustConfig file (`--trust-config`): sigil serve's trusted_root.json and
 * signing_config.json side by side. Plain HTTP on loopback is accepted; no TLS was needed.
 * Both ways: `sigstore sign` → `sigil verify-blob`, `sigil sign-blob` → `sigstore verify identity`, and a
 * wrong identity is rejected by both.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type RunningStack, startStack } from '../../src/server/index.js';
import { runProcess, sigil, workDir } from '../helpers/cli.js';
import { requirePeer } from '../helpers/peers.js';

const sigstorePython = requirePeer('sigstore-python', 'sigstore');

const IDENTITY = 'https://github.com/org/app/.github/workflows/release.yml@refs/heads/main';

for (const rekorApiVersion of [1, 2] as const) {
  describe(`interop: sigstore-python keyless against sigil serve (Rekor v${rekorApiVersion})`, {
    skip: sigstorePython.skip,
  }, () => {
    let stack: RunningStack;
    let dir: string;
    let issuer: string;

    before(async () => {
      dir = await workDir();
      stack = await startStack({ dataDir: join(dir, '.sigil'), host: '127.0.0.1', rekorApiVersion });
      issuer = stack.issuers['github-actions'];
      const trustConfig = {
        mediaType: 'application/vnd.dev.sigstore.clienttrustconfig.v0.1+json',
        trustedRoot: JSON.parse(readFileSync(stack.trustedRootPath, 'utf8')),
        signingConfig: JSON.parse(readFileSync(stack.signingConfigPath, 'utf8')),
      };
      writeFileSync(join(dir, 'trust-config.json'), JSON.stringify(trustConfig));
      writeFileSync(join(dir, 'artifact.txt'), 'release artifact\n');
    });
    after(() => stack.close());

    const token = () => stack.mintToken({ kind: 'github-actions', repository: 'org/app' });
    const sigstore = (...args: string[]) =>
      runProcess(sigstorePython.path, ['--trust-config', 'trust-config.json', ...args], { cwd: dir });
    const verifyWithSigstore = (bundle: string, identity: string) =>
      sigstore(
        'verify',
        'identity',
        '--bundle',
        bundle,
        '--cert-identity',
        identity,
        '--cert-oidc-issuer',
        issuer,
        'artifact.txt',
      );
    const verifyWithSigil = (bundle: string, identity: string) =>
      sigil(
        [
          'verify-blob',
          '--bundle',
          bundle,
          '--certificate-identity',
          identity,
          '--certificate-oidc-issuer',
          issuer,
          'artifact.txt',
        ],
        { cwd: dir },
      );

    // sigil signs first, so that its entry is the log's first (index 0): the bundle must still carry
    // logIndex "0", which sigstore-python requires.
    it('verifies what sigil sign-blob signs keyless, and rejects a wrong identity', async () => {
      const signed = await sigil(
        [
          'sign-blob',
          '--yes',
          '--identity-token',
          await token(),
          '--bundle',
          'sigil.sigstore.json',
          'artifact.txt',
        ],
        { cwd: dir },
      );
      assert.equal(signed.code, 0, signed.stderr);
      const ok = await verifyWithSigstore('sigil.sigstore.json', IDENTITY);
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stdout + ok.stderr, /OK: artifact\.txt/);
      const wrong = await verifyWithSigstore('sigil.sigstore.json', `${IDENTITY}-other`);
      assert.notEqual(wrong.code, 0);
    });

    it('signs a blob whose bundle sigil verify-blob accepts, and rejects a wrong identity', async () => {
      const signed = await sigstore(
        'sign',
        '--identity-token',
        await token(),
        '--bundle',
        'python.sigstore.json',
        'artifact.txt',
      );
      assert.equal(signed.code, 0, signed.stderr);
      const bundle = JSON.parse(readFileSync(join(dir, 'python.sigstore.json'), 'utf8'));
      const entry = bundle.verificationMaterial.tlogEntries[0];
      assert.equal(entry.kindVersion.version, rekorApiVersion === 2 ? '0.0.2' : '0.0.1');
      const ok = await verifyWithSigil('python.sigstore.json', IDENTITY);
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal((await verifyWithSigil('python.sigstore.json', `${IDENTITY}-other`)).code, 1);
    });
  });
}
