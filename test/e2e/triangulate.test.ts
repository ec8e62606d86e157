/** `sigil triangulate` against the embedded registry: cosign's artifact tags, COSIGN_REPOSITORY, bad input. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Digest } from '../../src/core/index.js';
import { parseReference, pushTestImage, RegistryClient } from '../../src/oci/index.js';
import { type RunningRegistry, startRegistry } from '../../src/oci/registry/index.js';
import { errorLine, sigil, workDir } from '../helpers/cli.js';

describe('sigil triangulate', () => {
  let registry: RunningRegistry;
  let digest: Digest;
  let hex: string;
  before(async () => {
    registry = await startRegistry({
      host: '127.0.0.1',
      port: 0,
      dataDir: join(await workDir(), 'registry'),
    });
    digest = await pushTestImage(new RegistryClient({}), parseReference(`${registry.address}/app:v1`), {
      files: { 'a.txt': 'triangulate' },
    });
    hex = digest.slice('sha256:'.length);
  });
  after(() => registry?.close());

  const run = (args: string[], env: Record<string, string> = {}) => sigil(['triangulate', ...args], { env });

  it('prints the .sig, .att and .sbom tags of the digest the tag resolves to, and the digest itself', async () => {
    const image = `${registry.address}/app:v1`;
    const expected: Record<string, string> = {
      signature: `${registry.address}/app:sha256-${hex}.sig`,
      attestation: `${registry.address}/app:sha256-${hex}.att`,
      sbom: `${registry.address}/app:sha256-${hex}.sbom`,
      digest: `${registry.address}/app@${digest}`,
    };
    assert.equal((await run([image])).stdout, `${expected.signature}\n`);
    for (const [type, reference] of Object.entries(expected)) {
      const result = await run(['--type', type, image]);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, `${reference}\n`);
    }
  });

  it('points into COSIGN_REPOSITORY when it is set', async () => {
    const result = await run([`${registry.address}/app@${digest}`], {
      COSIGN_REPOSITORY: `${registry.address}/signatures`,
    });
    assert.equal(result.stdout, `${registry.address}/signatures:sha256-${hex}.sig\n`);
  });

  it('fails with one line for an unknown type, a malformed reference and a missing image', async () => {
    const badType = await run(['--type', 'sbomz', `${registry.address}/app:v1`]);
    assert.notEqual(badType.code, 0);
    assert.match(badType.stderr, /sbomz/);
    const badRef = await run(['Not A Reference']);
    assert.notEqual(badRef.code, 0);
    assert.match(errorLine(badRef), /Not A Reference/);
    const missing = await run([`${registry.address}/app:nope`]);
    assert.notEqual(missing.code, 0);
    assert.match(errorLine(missing), /nope/);
    assert.equal(missing.stdout, '');
  });
});
