/**
 * Pushing and listing OCI 1.1 referrers through our client against both registries: the embedded one
 * (referrers API, `OCI-Subject`) and the real distribution 2.8 (no API: the tag-schema index fallback).
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Digest, isSigilError } from '../../src/core/index.js';
import {
  type ImageReference,
  OCI_EMPTY,
  OCI_INDEX,
  OCI_MANIFEST,
  parseReference,
  pushReferrer,
  pushTestImage,
  RegistryClient,
  referrersTag,
} from '../../src/oci/index.js';
import { startRegistry } from '../../src/oci/registry/index.js';
import { dockerRegistryInstalled, startDockerRegistry } from '../helpers/docker-registry.js';
import { peerMissing } from '../helpers/peers.js';

interface StartedRegistry {
  address: string;
  close(): Promise<void>;
}

const EMPTY_CONFIG = Buffer.from('{}');

function referrersSuite(
  name: string,
  start: () => Promise<StartedRegistry>,
  hasReferrersApi: boolean,
  skip: string | false = false,
): void {
  describe(`referrers: ${name}`, { skip }, () => {
    let registry: StartedRegistry;
    const client = new RegistryClient({});

    before(async () => {
      registry = await start();
    });
    after(() => registry?.close());

    /** A fresh image in its own repository, and a function pushing referrers of it. */
    async function subjectImage(repository: string) {
      const ref: ImageReference = parseReference(`${registry.address}/${repository}:v1`);
      const digest = await pushTestImage(client, ref, { files: { 'a.txt': repository } });
      const { size } = (await client.headManifest(ref, digest)) ?? assert.fail('image not stored');
      const refer = async (artifactType: string, content: string): Promise<Digest> => {
        const config = await client.pushBlob(ref, EMPTY_CONFIG);
        const layer = await client.pushBlob(ref, Buffer.from(content));
        const manifest = {
          schemaVersion: 2,
          mediaType: OCI_MANIFEST,
          artifactType,
          config: { mediaType: OCI_EMPTY, ...config },
          layers: [{ mediaType: 'application/octet-stream', ...layer }],
          subject: { mediaType: OCI_MANIFEST, digest, size },
          annotations: { 'org.example.content': content },
        };
        return pushReferrer(client, ref, Buffer.from(JSON.stringify(manifest)));
      };
      return { ref, digest, refer };
    }

    it('lists pushed referrers with their artifactType and annotations, and filters by type', async () => {
      const { ref, digest, refer } = await subjectImage('round-trip');
      const signature = await refer('application/vnd.example.sig+json', 'one');
      const sbom = await refer('application/vnd.example.sbom+json', 'two');
      const all = await client.referrers(ref, digest);
      assert.deepEqual(all.map((d) => d.digest).sort(), [signature, sbom].sort());
      const listedSbom = all.find((d) => d.digest === sbom);
      assert.equal(listedSbom?.artifactType, 'application/vnd.example.sbom+json');
      assert.equal(listedSbom?.mediaType, OCI_MANIFEST);
      assert.deepEqual(listedSbom?.annotations, { 'org.example.content': 'two' });
      const onlySbom = await client.referrers(ref, digest, {
        artifactType: 'application/vnd.example.sbom+json',
      });
      assert.deepEqual(
        onlySbom.map((d) => d.digest),
        [sbom],
      );
    });

    it('keeps both of two referrers pushed at the same time', async () => {
      const { ref, digest, refer } = await subjectImage('concurrent');
      const pushed = await Promise.all([refer('a/one', 'first'), refer('a/two', 'second')]);
      const listed = (await client.referrers(ref, digest)).map((d) => d.digest);
      assert.deepEqual(listed.sort(), pushed.sort());
    });

    it(
      hasReferrersApi
        ? 'leaves the index to the registry, which acknowledged the subject'
        : 'keeps the tag-schema index at sha256-<hex> as an OCI image index',
      async () => {
        const { ref, digest, refer } = await subjectImage('tag-schema');
        await refer('a/one', 'only');
        const tagged = await client.headManifest(ref, referrersTag(digest));
        if (hasReferrersApi) {
          assert.equal(tagged, undefined);
        } else {
          assert.equal(tagged?.mediaType, OCI_INDEX);
        }
      },
    );

    it('lists nothing for an image without referrers', async () => {
      const { ref, digest } = await subjectImage('lonely');
      assert.deepEqual(await client.referrers(ref, digest), []);
    });

    it('refuses to push a referrer without a subject, pushing nothing', async () => {
      const { ref } = await subjectImage('no-subject');
      const manifest = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: OCI_MANIFEST,
          config: {
            mediaType: OCI_EMPTY,
            digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
            size: 2,
          },
          layers: [],
        }),
      );
      await assert.rejects(
        pushReferrer(client, ref, manifest),
        (err: unknown) => isSigilError(err) && err.code === 'BAD_MANIFEST' && /no subject/.test(err.message),
      );
    });
  });
}

referrersSuite(
  'embedded registry',
  async () =>
    startRegistry({ host: '127.0.0.1', port: 0, dataDir: await mkdtemp(join(tmpdir(), 'sigil-refs-')) }),
  true,
);
referrersSuite(
  'distribution 2.8 (tag-schema fallback)',
  startDockerRegistry,
  false,
  peerMissing('docker-registry', dockerRegistryInstalled()),
);
