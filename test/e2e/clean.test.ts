/** `sigil clean` against the embedded registry: removes exactly the chosen artifacts, asks unless --force. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Digest } from '../../src/core/index.js';
import { BUNDLE_V03_MEDIA_TYPE, pushBundleReferrer } from '../../src/cosign/index.js';
import { artifactTag } from '../../src/formats/index.js';
import {
  OCI_EMPTY,
  OCI_MANIFEST,
  parseReference,
  pushReferrer,
  pushTestImage,
  RegistryClient,
} from '../../src/oci/index.js';
import { type RunningRegistry, startRegistry } from '../../src/oci/registry/index.js';
import { errorLine, sigil, workDir } from '../helpers/cli.js';

describe('sigil clean', () => {
  let registry: RunningRegistry;
  const client = new RegistryClient({});
  before(async () => {
    registry = await startRegistry({
      host: '127.0.0.1',
      port: 0,
      dataDir: join(await workDir(), 'registry'),
    });
  });
  after(() => registry?.close());

  /** An image with stand-in .sig, .att and .sbom artifacts (clean only looks at their tags). */
  async function imageWithArtifacts(repository: string): Promise<{ image: string; digest: Digest }> {
    const image = `${registry.address}/${repository}:v1`;
    const digest = await pushTestImage(client, parseReference(image), { files: { 'a.txt': repository } });
    for (const suffix of ['sig', 'att', 'sbom'] as const) {
      const tag = artifactTag(digest, suffix);
      await pushTestImage(client, parseReference(`${registry.address}/${repository}:${tag}`), {
        files: { [suffix]: `${repository} ${suffix}` },
      });
    }
    return { image, digest };
  }
  const tags = async (repository: string) =>
    (await client.listTags(parseReference(`${registry.address}/${repository}`))).sort();

  it('removes only the signatures with --type signature --force', async () => {
    const { image, digest } = await imageWithArtifacts('sig-only');
    const result = await sigil(['clean', '--type', 'signature', '--force', '--output', 'json', image]);
    assert.equal(result.code, 0, result.stderr);
    const sigRef = `${registry.address}/sig-only:${artifactTag(digest, 'sig')}`;
    assert.deepEqual(JSON.parse(result.stdout), { image, deleted: [sigRef] });
    assert.deepEqual(
      await tags('sig-only'),
      [artifactTag(digest, 'att'), artifactTag(digest, 'sbom'), 'v1'].sort(),
    );
  });

  it('removes every artifact by default once confirmed, and keeps the image', async () => {
    const { image } = await imageWithArtifacts('all');
    const result = await sigil(['clean', image], { input: 'y\n' });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /WARNING: this will remove all signatures, attestations and SBOMs/);
    assert.deepEqual(await tags('all'), ['v1']);
  });

  it('removes nothing when not confirmed', async () => {
    const { image } = await imageWithArtifacts('kept');
    const before = await tags('kept');
    const result = await sigil(['clean', image], { input: 'n\n' });
    assert.notEqual(result.code, 0);
    assert.match(errorLine(result), /not confirmed/);
    assert.deepEqual(await tags('kept'), before);
  });

  it('removes the Sigstore bundle referrers with --type referrer (and all), not other referrers', async () => {
    const { image, digest } = await imageWithArtifacts('referrers');
    const ref = { ...parseReference(image), digest };
    const bundle = await pushBundleReferrer(client, ref, Buffer.from('{}'), {});
    const empty = await client.pushBlob(ref, Buffer.from('{}'));
    const other = await pushReferrer(
      client,
      ref,
      Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: OCI_MANIFEST,
          artifactType: 'application/vnd.cncf.notary.signature',
          config: { mediaType: OCI_EMPTY, ...empty },
          layers: [{ mediaType: OCI_EMPTY, ...empty }],
          subject: { mediaType: OCI_MANIFEST, digest, size: 1 },
        }),
      ),
    );
    const signatures = await sigil(['clean', '--type', 'signature', '--force', image]);
    assert.equal(signatures.code, 0, signatures.stderr);
    assert.equal((await client.referrers(ref, digest)).length, 2);
    const result = await sigil(['clean', '--type', 'referrer', '--force', '--output', 'json', image]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout).deleted, [`${registry.address}/referrers@${bundle}`]);
    assert.deepEqual(
      (await client.referrers(ref, digest)).map((d) => d.digest),
      [other],
    );
    assert.equal((await client.referrers(ref, digest, { artifactType: BUNDLE_V03_MEDIA_TYPE })).length, 0);
    assert.equal((await tags('referrers')).length, 3, 'the .att, .sbom and image tags stay');
  });

  it('fails with one line for a missing image or a malformed reference', async () => {
    const missing = await sigil(['clean', '--force', `${registry.address}/nothing:v1`]);
    assert.notEqual(missing.code, 0);
    assert.match(errorLine(missing), /nothing/);
    const bad = await sigil(['clean', '--force', 'Bad Ref']);
    assert.notEqual(bad.code, 0);
    assert.match(errorLine(bad), /Bad Ref/);
  });
});
