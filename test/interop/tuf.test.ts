/**
 * Interop, TUF: `sigil serve` publishes its trusted_root.json and signing config as TUF targets; the real
 * cosign v3 and v2 `initialize --mirror --root` against it and then verify a sigil-signed image keyless with
 * no trust flags at all, and cosign v3 signs with the TUF signing config alone; `sigil initialize` does the
 * same for sigil's own sign and verify; sigstore-python (`--instance URL trust-instance root.json`) verifies
 * a sigil-signed blob; @sigstore/tuf reads the repository. Negative: a tampered target, an expired
 * timestamp and a root signed by a key the trusted root does not name are refused by every client; a key
 * rotation (a new root version) is followed.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { initTUF } from '@sigstore/tuf';
import { formatReference, parseReference, pushTestImage, RegistryClient } from '../../src/oci/index.js';
import { type RunningStack, startStack } from '../../src/server/index.js';
import {
  generateRoleKey,
  SIGNING_CONFIG_TARGET,
  signWith,
  TRUSTED_ROOT_TARGET,
  TufRepository,
  tufCanonical,
} from '../../src/tuf/index.js';
import { runProcess, sigil, workDir } from '../helpers/cli.js';
import { type CosignPeer, cosignPeers, runCosign } from '../helpers/cosign.js';
import { requirePeer } from '../helpers/peers.js';

const sigstorePython = requirePeer('sigstore-python', 'sigstore');
const cosignV3 = cosignPeers().find((peer) => peer.major === 3) as CosignPeer;

const IDENTITY = 'https://github.com/org/app/.github/workflows/release.yml@refs/heads/main';

describe('interop: TUF trust distribution from sigil serve', () => {
  let stack: RunningStack;
  let dir: string;
  /** Where clients run: no ./.sigil there, so any trust they have came through TUF. */
  let client: string;
  let tufDir: string;
  /** The one image sigil signs and every client verifies. */
  let image: string;

  before(async () => {
    dir = await workDir();
    client = join(dir, 'client');
    mkdirSync(client);
    stack = await startStack({ dataDir: join(dir, 'server'), host: '127.0.0.1' });
    tufDir = join(dir, 'server', 'tuf');
  });
  after(() => stack.close());

  const identityFlags = (identity = IDENTITY) => [
    '--certificate-identity',
    identity,
    '--certificate-oidc-issuer',
    stack.issuers['github-actions'],
  ];
  const sigilIn = (...args: string[]) =>
    sigil(args, { cwd: client, env: { SIGIL_TUF_ROOT: join(dir, 'sigil-tuf') } });
  const initialize = (...extra: string[]) =>
    sigilIn('initialize', '--mirror', stack.urls.tuf, '--root', stack.tufRootPath, ...extra);
  /** A new image in the stack's registry, by digest. */
  const pushImage = async (name: string) => {
    const reference = parseReference(`${stack.registryAddress}/org/${name}:v1`);
    const digest = await pushTestImage(new RegistryClient({}), reference, {
      files: { 'app.txt': `${name}\n` },
    });
    return formatReference({ ...reference, tag: undefined, digest });
  };
  const sigilVerify = (identity?: string) => sigilIn('verify', ...identityFlags(identity), image);
  /** sigstore-python, with the instance its trust-instance set up (its TUF cache is under HOME = client). */
  const sigstorePy = (...args: string[]) =>
    runProcess(sigstorePython.path, ['--instance', stack.urls.tuf, ...args], { cwd: client });
  const sigstorePyVerify = (identity = IDENTITY) =>
    sigstorePy(
      'verify',
      'identity',
      '--bundle',
      'artifact.sigstore.json',
      '--cert-identity',
      identity,
      '--cert-oidc-issuer',
      stack.issuers['github-actions'],
      'artifact.txt',
    );
  it('sigil initialize, then sign and verify keyless with no trust flags (the TUF targets)', async () => {
    const initialized = await initialize();
    assert.equal(initialized.code, 0, initialized.stderr);
    assert.match(initialized.stderr, /trusted_root\.json and signing_config\.v0\.2\.json/);
    image = await pushImage('tuf');
    const token = await stack.mintToken({ kind: 'github-actions', repository: 'org/app' });
    const signed = await sigilIn('sign', '--yes', '--identity-token', token, image);
    assert.equal(signed.code, 0, signed.stderr);
    const verified = await sigilVerify();
    assert.equal(verified.code, 0, verified.stderr);
    assert.equal((await sigilVerify(`${IDENTITY}-other`)).code, 1);
  });

  it('refuses an initial root that does not match --root-checksum', async () => {
    const result = await initialize('--root-checksum', '00'.repeat(32));
    assert.equal(result.code, 1);
    assert.match(result.stderr, /has SHA256 [0-9a-f]{64}, not --root-checksum/);
  });

  for (const peer of cosignPeers()) {
    it(`${peer.name} initialize --mirror --root, then verify a sigil-signed image with no trust flags`, {
      skip: peer.skip,
    }, async () => {
      const cosign = (...args: string[]) => runCosign(peer, args, { cwd: client });
      const initialized = await cosign('initialize', '--mirror', stack.urls.tuf, '--root', stack.tufRootPath);
      assert.equal(initialized.code, 0, initialized.stderr);
      const verified = await cosign('verify', ...identityFlags(), image);
      assert.equal(verified.code, 0, verified.stderr);
      const wrong = await cosign('verify', ...identityFlags(`${IDENTITY}-other`), image);
      assert.notEqual(wrong.code, 0, 'cosign accepted a wrong identity');
    });
  }

  // cosign takes a file: mirror in its legacy TUF client only (individual targets marked by usage), not in
  // sigstore-go's, which fetches trusted_root.json: a copy is served to cosign over HTTP, by any file server.
  it('cosign-v3 signs with the signing config from TUF (no service flags); sigil verifies through TUF', {
    skip: cosignV3.skip,
  }, async () => {
    const byCosign = await pushImage('tuf-cosign');
    const token = await stack.mintToken({ kind: 'github-actions', repository: 'org/app' });
    const signed = await runCosign(cosignV3, ['sign', '--yes', '--identity-token', token, byCosign], {
      cwd: client,
    });
    assert.equal(signed.code, 0, signed.stderr);
    const verified = await sigilIn('verify', ...identityFlags(), byCosign);
    assert.equal(verified.code, 0, verified.stderr);
  });

  it('air-gapped: sigil initializes from a file: copy of the repository and verifies', async () => {
    const copy = pathToFileURL(join(tufDir, 'repository')).href;
    const env = { SIGIL_TUF_ROOT: join(dir, 'sigil-tuf-file') };
    const run = (...args: string[]) => sigil(args, { cwd: client, env });
    const initialized = await run('initialize', '--mirror', copy, '--root', stack.tufRootPath);
    assert.equal(initialized.code, 0, initialized.stderr);
    const verified = await run('verify', ...identityFlags(), image);
    assert.equal(verified.code, 0, verified.stderr);
  });

  it('sigstore-python trust-instance, then verify a sigil-signed blob with no trust file', {
    skip: sigstorePython.skip,
  }, async () => {
    writeFileSync(join(client, 'artifact.txt'), 'release artifact\n');
    const token = await stack.mintToken({ kind: 'github-actions', repository: 'org/app' });
    const signed = await sigilIn(
      'sign-blob',
      '--yes',
      '--identity-token',
      token,
      '--bundle',
      'artifact.sigstore.json',
      'artifact.txt',
    );
    assert.equal(signed.code, 0, signed.stderr);
    const trusted = await sigstorePy('trust-instance', stack.tufRootPath);
    assert.equal(trusted.code, 0, trusted.stderr);
    const verified = await sigstorePyVerify();
    assert.equal(verified.code, 0, verified.stderr);
    const wrong = await sigstorePyVerify(`${IDENTITY}-other`);
    assert.notEqual(wrong.code, 0, 'sigstore-python accepted a wrong identity');
  });

  it('@sigstore/tuf reads the repository: the same trusted root and signing config', async () => {
    const tuf = await initTUF({
      mirrorURL: stack.urls.tuf,
      rootPath: stack.tufRootPath,
      cachePath: join(dir, 'sigstore-tuf'),
      forceInit: true,
    });
    const trustedRoot = await tuf.getTarget(TRUSTED_ROOT_TARGET);
    assert.equal(trustedRoot, readFileSync(stack.trustedRootPath, 'utf8'));
    const signingConfig = await tuf.getTarget(SIGNING_CONFIG_TARGET);
    assert.equal(signingConfig, readFileSync(stack.signingConfigPath, 'utf8'));
  });

  /** Every client verifies the image, or (given why each must refuse) refuses the trust it is served. */
  const clientsAccept = async (why: string, refusal?: { sigil: RegExp; cosign: RegExp; python: RegExp }) => {
    const sigilResult = await sigilVerify();
    assert.equal(sigilResult.code === 0, !refusal, `sigil, ${why}: ${sigilResult.stderr}`);
    if (refusal) assert.match(sigilResult.stderr, refusal.sigil);
    for (const peer of cosignPeers()) {
      if (peer.skip) continue;
      const result = await runCosign(peer, ['verify', ...identityFlags(), image], { cwd: client });
      assert.equal(result.code === 0, !refusal, `${peer.name}, ${why}: ${result.stderr}`);
      // cosign then falls back to its legacy TUF targets, which fail too; the first error says why.
      if (refusal) assert.match(result.stderr, refusal.cosign);
    }
    if (sigstorePython.skip) return;
    // sigstore-python says only which TUF step failed, not why.
    const python = await sigstorePyVerify();
    assert.equal(python.code === 0, !refusal, `sigstore-python, ${why}: ${python.stderr}`);
    if (refusal) assert.match(python.stderr, refusal.python);
  };

  it('refuses a tampered target: a new trusted_root.json version whose published bytes were swapped', async () => {
    const repository = TufRepository.open(tufDir);
    const genuine = readFileSync(stack.trustedRootPath);
    const next = Buffer.from(`${genuine.toString().trimEnd()} \n`);
    await repository.publishTargets([{ name: TRUSTED_ROOT_TARGET, bytes: next }]);
    const published = join(tufDir, 'repository', 'targets');
    const file = readdirSync(published).find((entry) => readFileSync(join(published, entry)).equals(next));
    assert.ok(file);
    writeFileSync(join(published, file), next.toString().replace('"tlogs"', '"tlogz"'));
    await clientsAccept('tampered target', {
      sigil: /TUF target trusted_root\.json .* failed: Expected hash/,
      cosign: /trusted_root\.json - length\/hash verification error/,
      python: /Failed to download trusted key bundle/,
    });
    writeFileSync(join(published, file), next);
    await clientsAccept('target restored');
  });

  it('refuses an expired timestamp until the repository refreshes it', async () => {
    // Metadata signed 8 days ago: the timestamp (valid 7 days) has expired, the rest has not.
    const repository = TufRepository.open(tufDir);
    const genuine = readFileSync(stack.trustedRootPath);
    await repository.publishTargets(
      [{ name: TRUSTED_ROOT_TARGET, bytes: genuine }],
      new Date(Date.now() - 8 * 86_400_000),
    );
    await clientsAccept('expired timestamp', {
      sigil: /TUF update .* failed: Final timestamp\.json is expired/,
      cosign: /tuf refresh failed: expired metadata error: timestamp\.json is expired/,
      python: /Failed to refresh TUF metadata/,
    });
    const refreshed = await sigil(['tuf', 'refresh', '--repo-dir', tufDir], { cwd: dir });
    assert.equal(refreshed.code, 0, refreshed.stderr);
    assert.match(refreshed.stderr, /re-signed: timestamp/);
    await clientsAccept('timestamp re-signed');
  });

  it('refuses a new root signed by a key the trusted root does not name', async () => {
    const repository = TufRepository.open(tufDir);
    const published = join(tufDir, 'repository');
    const root = JSON.parse(readFileSync(join(published, 'root.json'), 'utf8'));
    const intruder = generateRoleKey();
    root.signed.version = repository.rootVersion + 1;
    root.signed.keys[intruder.id] = intruder.public;
    root.signed.roles.root.keyids = [intruder.id];
    root.signatures = [signWith(intruder, tufCanonical(root.signed))];
    const forged = join(published, `${root.signed.version}.root.json`);
    writeFileSync(forged, JSON.stringify(root));
    await clientsAccept('root signed by an unknown key', {
      sigil: /TUF update .* failed: root was signed by 0\/1 keys/,
      cosign: /Verifying root failed, not enough signatures, got 0, want 1/,
      python: /Failed to refresh TUF metadata/,
    });
    rmSync(forged);
    await clientsAccept('forged root removed');
  });

  it('follows a key rotation: a new root version with new root and online keys', async () => {
    const newRoot = join(dir, 'root-2.pem');
    assert.equal((await sigil(['tuf', 'generate-key', newRoot], { cwd: dir })).code, 0);
    const rotated = await sigil(
      [
        'tuf',
        'rotate-keys',
        '--repo-dir',
        tufDir,
        '--new-root-key',
        newRoot,
        '--roles',
        'targets,snapshot,timestamp',
      ],
      { cwd: dir },
    );
    assert.equal(rotated.code, 0, rotated.stderr);
    assert.match(rotated.stderr, /root version 2 names the new keys/);
    // Only root version 2 names the new timestamp key: verifying at all means each client followed it.
    await clientsAccept('after the rotation');
    const cached = JSON.parse(readFileSync(join(dir, 'sigil-tuf', 'metadata', 'root.json'), 'utf8'));
    assert.equal(cached.signed.version, 2);
  });

  it('fails closed when the mirror is unreachable; an explicit --trusted-root still verifies', async () => {
    const offline = join(dir, 'sigil-tuf-offline');
    cpSync(join(dir, 'sigil-tuf'), offline, { recursive: true });
    // Port 9 (discard) on loopback: nothing listens there.
    writeFileSync(join(offline, 'remote.json'), JSON.stringify({ mirror: 'http://127.0.0.1:9' }));
    const env = { SIGIL_TUF_ROOT: offline };
    const refused = await sigil(['verify', ...identityFlags(), image], { cwd: client, env });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /TUF update from http:\/\/127\.0\.0\.1:9 failed/);
    const explicit = await sigil(
      ['verify', '--trusted-root', stack.trustedRootPath, ...identityFlags(), image],
      {
        cwd: client,
        env,
      },
    );
    assert.equal(explicit.code, 0, explicit.stderr);
  });
});
