/**
 * Attestations on the local Sigstore stack: keyless (dev-issuer token → CA certificate → intoto entry in
 * our log) verified by identity, and key-based with the log (the entry must be about this very envelope).
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { formatReference, parseReference, pushTestImage, RegistryClient } from '../../src/oci/index.js';
import { type RunningStack, startStack } from '../../src/server/index.js';
import { logKeyPath } from '../../src/tlog/index.js';
import { errorLine, sigil, workDir } from '../helpers/cli.js';
import { COSIGN_KEY, COSIGN_PUB, FIXTURES } from '../helpers/fixtures.js';

describe('attestations on the local stack (keyless and logged)', () => {
  let stack: RunningStack;
  let dir: string;
  let image: string;
  let issuer: string;
  const identity = 'https://github.com/org/app/.github/workflows/release.yml@refs/heads/main';
  const client = new RegistryClient({});
  const run = (args: string[], env: Record<string, string> = {}) =>
    sigil(args, { cwd: dir, env: { COSIGN_PASSWORD: '', ...env } });

  before(async () => {
    dir = await workDir();
    stack = await startStack({ dataDir: join(dir, '.sigil'), host: '127.0.0.1' });
    issuer = stack.issuers['github-actions'];
    const reference = parseReference(`${stack.registryAddress}/org/app:v1`);
    const digest = await pushTestImage(client, reference, { files: { 'app.txt': 'v1\n' } });
    image = formatReference({ ...reference, tag: undefined, digest });
    await writeFile(
      join(dir, 'sbom.cdx.json'),
      JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.6', components: [] }),
    );
    const token = await stack.mintToken({ kind: 'github-actions', repository: 'org/app' });
    const attested = await run([
      'attest',
      '--yes',
      '--identity-token',
      token,
      '--type',
      'cyclonedx',
      '--predicate',
      'sbom.cdx.json',
      image,
    ]);
    assert.equal(attested.code, 0, attested.stderr);
  });
  after(() => stack.close());

  const verifyKeyless = (...flags: string[]) =>
    run(['verify-attestation', '--type', 'cyclonedx', ...flags, image]);

  it('verifies a keyless attestation by identity and issuer', async () => {
    const result = await verifyKeyless(
      '--certificate-identity-regexp',
      '^https://github.com/org/',
      '--certificate-oidc-issuer',
      issuer,
    );
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /code-signing certificate was verified/);
  });

  it('rejects a wrong identity and a wrong issuer', async () => {
    for (const flags of [
      ['--certificate-identity-regexp', '^https://github.com/org-evil/', '--certificate-oidc-issuer', issuer],
      ['--certificate-identity', identity, '--certificate-oidc-issuer', stack.issuers.email],
    ]) {
      const result = await verifyKeyless(...flags);
      assert.equal(result.code, 1, flags.join(' '));
      assert.match(errorLine(result), /certificate identity rejected/);
    }
  });

  it('key-based with the log: verifies, and fails when the logged entry is about another envelope', async () => {
    const env = { SIGSTORE_REKOR_PUBLIC_KEY: `${logKeyPath(join(dir, '.sigil', 'tlog'))}.pub` };
    const key = join(FIXTURES, COSIGN_KEY);
    const pub = join(FIXTURES, COSIGN_PUB);
    const reference = parseReference(`${stack.registryAddress}/org/logged:v1`);
    const digest = await pushTestImage(client, reference, { files: { 'logged.txt': 'logged\n' } });
    const logged = formatReference({ ...reference, tag: undefined, digest });
    const attest = await run(
      [
        'attest',
        '--key',
        key,
        '--rekor-url',
        stack.urls.tlog,
        '--type',
        'cyclonedx',
        '--predicate',
        'sbom.cdx.json',
        logged,
      ],
      env,
    );
    assert.equal(attest.code, 0, attest.stderr);
    const verify = (ref: string) =>
      run(
        ['verify-attestation', '--key', pub, '--rekor-url', stack.urls.tlog, '--type', 'cyclonedx', ref],
        env,
      );
    const ok = await verify(logged);
    assert.equal(ok.code, 0, ok.stderr);

    // Swap the log bundle of this attestation for the (valid, logged) bundle of another one.
    const other = parseReference(`${stack.registryAddress}/org/other:v1`);
    const otherDigest = await pushTestImage(client, other, { files: { 'other.txt': 'other\n' } });
    const otherRef = formatReference({ ...other, tag: undefined, digest: otherDigest });
    const second = await run(
      [
        'attest',
        '--key',
        key,
        '--rekor-url',
        stack.urls.tlog,
        '--type',
        'cyclonedx',
        '--predicate',
        'sbom.cdx.json',
        otherRef,
      ],
      env,
    );
    assert.equal(second.code, 0, second.stderr);
    const att = (d: string) => `sha256-${d.slice('sha256:'.length)}.att`;
    const { manifest: otherManifest } = await client.getManifest(other, att(otherDigest));
    const { manifest } = await client.getManifest(reference, att(digest));
    const forged = JSON.parse(JSON.stringify(manifest));
    forged.layers[0].annotations['dev.sigstore.cosign/bundle'] = (
      otherManifest as unknown as { layers: { annotations: Record<string, string> }[] }
    ).layers[0]?.annotations['dev.sigstore.cosign/bundle'];
    await client.putManifest(
      reference,
      att(digest),
      Buffer.from(JSON.stringify(forged)),
      'application/vnd.oci.image.manifest.v1+json',
    );
    const swapped = await verify(logged);
    assert.equal(swapped.code, 1);
    assert.match(errorLine(swapped), /transparency log entry does not match the attestation/);
  });
});
