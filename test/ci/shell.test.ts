/**
 * docs/ci/shell: the signing stage of a shell-only pipeline (Jenkins, Tekton) and the deployer's check,
 * run as a job would run them: a fresh workspace, the packed sigil installed client-only, an OIDC token in
 * SIGSTORE_ID_TOKEN, `sigil serve` as the private Sigstore and registry.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type RunningStack, startStack } from '../../src/server/index.js';
import { runProcess } from '../helpers/cli.js';
import { npmEnv, packSigil, REPO_ROOT } from '../helpers/client-install.js';

const IDENTITY = 'jenkins@ci.example.com';

describe('docs/ci/shell sign.sh and verify.sh', () => {
  let root: string;
  let stack: RunningStack;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'sigil-shell-ci-'));
    stack = await startStack({ dataDir: join(root, 'stack'), host: '127.0.0.1' });
  });
  after(async () => {
    await stack?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('builds, pushes, signs and attests; the deployer verifies the identity, and refuses another', async () => {
    const workspace = join(root, 'workspace');
    cpSync(join(REPO_ROOT, 'docs', 'ci'), join(workspace, 'ci'), { recursive: true });
    mkdirSync(join(workspace, 'app'));
    writeFileSync(join(workspace, 'app', 'hello'), '#!/bin/sh\necho hello\n', { mode: 0o755 });
    const env = {
      ...npmEnv(),
      HOME: workspace,
      IMAGE_REPO: `${stack.registryAddress}/team/app`,
      BUILD_TAG: 'build-42',
      SIGSTORE_ID_TOKEN: await stack.mintToken({ kind: 'email', email: IDENTITY, ttlSeconds: 3600 }),
      SIGIL_IDENTITY: IDENTITY,
      SIGIL_OIDC_ISSUER: stack.issuers.email,
      SIGIL_PACKAGE: await packSigil(join(root, 'pack')),
      SIGIL_TRUSTED_ROOT: stack.trustedRootPath,
      SIGIL_SIGNING_CONFIG: stack.signingConfigPath,
    };
    const signed = await runProcess('sh', ['ci/shell/sign.sh'], { cwd: workspace, env });
    assert.equal(signed.code, 0, signed.stderr);
    const image = signed.stdout.trim();
    assert.match(image, new RegExp(`^${stack.registryAddress}/team/app@sha256:[0-9a-f]{64}$`));
    assert.match(signed.stderr, /verified: .* \(signed and SBOM-attested by jenkins@ci\.example\.com\)/);

    // The deployer: its own machine, the same client, only the image reference handed on.
    const deployer = {
      ...env,
      PATH: `${join(workspace, '.sigil-cli', 'node_modules', '.bin')}:${process.env.PATH}`,
    };
    const verified = await runProcess('sh', ['ci/shell/verify.sh', image], { cwd: workspace, env: deployer });
    assert.equal(verified.code, 0, verified.stderr);
    const impostor = await runProcess('sh', ['ci/shell/verify.sh', image], {
      cwd: workspace,
      env: { ...deployer, SIGIL_IDENTITY: 'someone@ci.example.com' },
    });
    assert.equal(impostor.code, 1);
    assert.match(impostor.stderr, /no matching signatures/);
  });
});
