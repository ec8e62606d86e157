/**
 * deploy/image/build.sh: the sigil image built with no Docker engine (the packed package on the machine's
 * own node runtime, one OCI layer), pushed with `sigil load`, signed keyless by sigil, run from its own
 * root filesystem (chroot: every library it needs is in the layer), and pinned by digest in the Helm chart.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseReference, RegistryClient } from '../../src/oci/index.js';
import { type RunningStack, startStack } from '../../src/server/index.js';
import { runProcess, sigil } from '../helpers/cli.js';
import { npmEnv, REPO_ROOT, which } from '../helpers/client-install.js';
import { commandExists, peerMissing } from '../helpers/peers.js';

const IDENTITY = 'https://github.com/sigil-dev/sigil/.github/workflows/release.yml@refs/tags/v0.1.0';
const asRoot = process.getuid?.() === 0;

describe('the sigil image without a Docker engine (deploy/image/build.sh)', () => {
  let root: string;
  let stack: RunningStack;
  let image: string;
  let out: string;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'sigil-image-'));
    stack = await startStack({ dataDir: join(root, 'stack'), host: '127.0.0.1' });
    out = join(root, 'out');
    const built = await runProcess(
      'bash',
      [join(REPO_ROOT, 'deploy', 'image', 'build.sh'), `${stack.registryAddress}/sigil/sigil:0.1.0`, out],
      { cwd: root, env: npmEnv() },
    );
    assert.equal(built.code, 0, built.stderr);
    image = built.stdout.trim();
  });
  after(async () => {
    await stack?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('is pushed under its tag, by the digest it printed, with the admission webhook as entrypoint', async () => {
    assert.match(image, new RegExp(`^${stack.registryAddress}/sigil/sigil@sha256:[0-9a-f]{64}$`));
    const client = new RegistryClient({});
    const fetched = await client.getManifest(parseReference(`${stack.registryAddress}/sigil/sigil`), '0.1.0');
    assert.equal(fetched.digest, image.split('@')[1]);
    const manifest = fetched.manifest as { config: { digest: `sha256:${string}` } };
    const config = JSON.parse(
      (
        await client.getBlob(parseReference(`${stack.registryAddress}/sigil/sigil`), manifest.config.digest)
      ).toString(),
    );
    assert.deepEqual(config.config.Entrypoint, ['/usr/local/bin/node', 'bin/sigil.js', 'admission', 'serve']);
    assert.equal(config.config.User, '1000:1000');
  });

  it('ships signed: sigil signs it keyless, and it verifies with the release identity', async () => {
    const token = await stack.mintToken({
      kind: 'github-actions',
      repository: 'sigil-dev/sigil',
      ref: 'refs/tags/v0.1.0',
      workflow: 'release.yml',
    });
    const env = { SIGIL_TRUSTED_ROOT: stack.trustedRootPath, SIGIL_SIGNING_CONFIG: stack.signingConfigPath };
    const signed = await sigil(['sign', '--yes', '--identity-token', token, image], { cwd: root, env });
    assert.equal(signed.code, 0, signed.stderr);
    const verified = await sigil(
      [
        'verify',
        '--certificate-identity',
        IDENTITY,
        '--certificate-oidc-issuer',
        stack.issuers['github-actions'],
        image,
      ],
      { cwd: root, env },
    );
    assert.equal(verified.code, 0, verified.stderr);
  });

  it('runs from its own root filesystem: node and every library it loads are in the layer', {
    skip: !asRoot && 'chroot needs root',
  }, async () => {
    const index = JSON.parse(readFileSync(join(out, 'oci', 'index.json'), 'utf8'));
    const blob = (digest: string) => join(out, 'oci', 'blobs', 'sha256', digest.slice('sha256:'.length));
    const manifest = JSON.parse(readFileSync(blob(index.manifests[0].digest), 'utf8'));
    const rootfs = join(root, 'rootfs');
    mkdirSync(rootfs);
    const unpacked = await runProcess('tar', ['-xzf', blob(manifest.layers[0].digest), '-C', rootfs], {
      cwd: root,
    });
    assert.equal(unpacked.code, 0, unpacked.stderr);
    const ran = await runProcess(
      which('chroot', `${process.env.PATH}:/usr/sbin:/sbin`) ?? 'chroot',
      [rootfs, '/usr/local/bin/node', '/app/bin/sigil.js', 'admission', 'serve', '--help'],
      {
        cwd: root,
        env: { PATH: '/usr/local/bin:/usr/bin:/bin' },
      },
    );
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(ran.stdout, /--tls-dir/);
  });

  it('is what the admission chart runs, pinned by digest', {
    skip: peerMissing('helm', commandExists('helm')),
  }, async () => {
    const values = readFileSync(join(out, 'image-values.yaml'), 'utf8');
    const rendered = await runProcess(
      'helm',
      ['template', 'sigil', join(REPO_ROOT, 'deploy', 'helm', 'sigil'), '-f', join(out, 'image-values.yaml')],
      { cwd: root },
    );
    assert.equal(rendered.code, 0, rendered.stderr);
    assert.ok(values.includes(image.split('@')[1] as string));
    assert.match(rendered.stdout, new RegExp(`image: "${image.replace(/[.]/g, '\\.')}"`));
  });
});
