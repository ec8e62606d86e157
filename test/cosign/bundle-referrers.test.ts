/**
 * Bundles stored as OCI 1.1 referrers (cosign v3's `--new-bundle-format` layout), against the embedded
 * registry and distribution 2.8 (tag-schema fallback): the real public-good attestation bundle round-trips
 * byte for byte, listing filters by predicate type, and a referrer for another image is refused.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isSigilError } from '../../src/core/index.js';
import {
  BUNDLE_CONTENT_ANNOTATION,
  BUNDLE_PREDICATE_TYPE_ANNOTATION,
  BUNDLE_V03_MEDIA_TYPE,
  fetchReferrerBundle,
  listBundleReferrers,
  pushBundleReferrer,
} from '../../src/cosign/index.js';
import { OCI_EMPTY, parseReference, pushTestImage, RegistryClient } from '../../src/oci/index.js';
import { startRegistry } from '../../src/oci/registry/index.js';
import { dockerRegistryInstalled, startDockerRegistry } from '../helpers/docker-registry.js';
import { FIXTURES } from '../helpers/fixtures.js';
import { peerMissing } from '../helpers/peers.js';

const PUBLIC_GOOD_BUNDLE = join(FIXTURES, 'cosign', 'oci-attestation.sigstore.json');
const SLSA = 'https://slsa.dev/provenance/v1';
const annotations = (predicateType: string) => ({
  [BUNDLE_CONTENT_ANNOTATION]: 'dsse-envelope',
  [BUNDLE_PREDICATE_TYPE_ANNOTATION]: predicateType,
  'org.opencontainers.image.created': '2026-01-01T00:00:00Z',
});

function bundleReferrersSuite(
  name: string,
  start: () => Promise<{ address: string; close(): Promise<void> }>,
  skip: string | false = false,
): void {
  describe(`bundle referrers: ${name}`, { skip }, () => {
    let registry: { address: string; close(): Promise<void> };
    const client = new RegistryClient({});
    before(async () => {
      registry = await start();
    });
    after(() => registry?.close());

    const image = async (repository: string) => {
      const tagged = parseReference(`${registry.address}/${repository}:v1`);
      const digest = await pushTestImage(client, tagged, { files: { 'f.txt': repository } });
      return { registry: tagged.registry, repository: tagged.repository, digest };
    };

    it('stores a bundle as cosign does and gives back the same bytes', async () => {
      const subject = await image('app');
      const bundle = await readFile(PUBLIC_GOOD_BUNDLE);
      const pushed = await pushBundleReferrer(client, subject, bundle, annotations(SLSA));
      const [listed, ...rest] = await listBundleReferrers(client, subject);
      assert.equal(rest.length, 0);
      assert.equal(listed?.digest, pushed);
      assert.equal(listed?.artifactType, BUNDLE_V03_MEDIA_TYPE);
      const { manifest } = await client.getManifest(subject, pushed);
      assert.ok(!('manifests' in manifest));
      assert.equal(manifest.config.mediaType, OCI_EMPTY);
      assert.equal(manifest.subject?.digest, subject.digest);
      assert.deepEqual(manifest.annotations, annotations(SLSA));
      assert.ok(listed);
      assert.deepEqual(await fetchReferrerBundle(client, subject, listed), bundle);
    });

    it('lists only the bundles of the asked predicate type', async () => {
      const subject = await image('filtered');
      const slsa = await pushBundleReferrer(client, subject, Buffer.from('{"a":1}'), annotations(SLSA));
      await pushBundleReferrer(
        client,
        subject,
        Buffer.from('{"b":2}'),
        annotations('https://example.com/other'),
      );
      const found = await listBundleReferrers(client, subject, { predicateType: SLSA });
      assert.deepEqual(
        found.map((d) => d.digest),
        [slsa],
      );
    });

    it('refuses a referrer whose subject is another image', async () => {
      const first = await image('one');
      const second = await image('two');
      await pushBundleReferrer(client, first, Buffer.from('{"c":3}'), annotations(SLSA));
      const [listed] = await listBundleReferrers(client, first);
      assert.ok(listed);
      await assert.rejects(
        fetchReferrerBundle(client, { ...first, digest: second.digest }, listed),
        (err: unknown) => isSigilError(err) && err.code === 'BAD_MANIFEST' && /subject/.test(err.message),
      );
    });

    it('needs the image digest, not a tag', async () => {
      const tagged = parseReference(`${registry.address}/app:v1`);
      await assert.rejects(
        pushBundleReferrer(client, tagged, Buffer.from('{}'), {}),
        (err: unknown) => isSigilError(err) && err.code === 'BAD_REFERENCE',
      );
    });
  });
}

bundleReferrersSuite('embedded registry', async () =>
  startRegistry({ host: '127.0.0.1', port: 0, dataDir: await mkdtemp(join(tmpdir(), 'sigil-bundles-')) }),
);
bundleReferrersSuite(
  'distribution 2.8 (tag-schema fallback)',
  startDockerRegistry,
  peerMissing('docker-registry', dockerRegistryInstalled()),
);
