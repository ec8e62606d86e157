/**
 * Distribution-spec conformance cases over plain HTTP, run against the embedded registry and the real
 * distribution registry alike: whatever the real one does here, ours must do too.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sha256Digest } from '../../src/core/index.js';

export interface ServedRegistry {
  url: string;
  close(): Promise<void>;
}

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';

/**
 * `specStrict: false` skips the two cases where distribution 2.8 departs from the spec: it accepts an
 * out-of-order chunk, and it lists tags unsorted when no page size is given.
 */
export function registryConformanceSuite(
  name: string,
  start: () => Promise<ServedRegistry>,
  options: { skip?: string | false; specStrict: boolean },
): void {
  const strictOnly = options.specStrict ? {} : { skip: 'distribution 2.8 departs from the spec here' };
  describe(`distribution-spec conformance: ${name}`, { skip: options.skip ?? false }, () => {
    let registry: ServedRegistry;
    before(async () => {
      registry = await start();
    });
    after(() => registry?.close());

    const call = (
      method: string,
      path: string,
      init: { body?: Buffer | string; headers?: Record<string, string> } = {},
    ) => fetch(path.startsWith('http') ? path : `${registry.url}${path}`, { method, ...init });
    const errorCode = async (response: Response) =>
      ((await response.json()) as { errors: { code: string }[] }).errors[0]?.code;

    const pushBlob = async (repo: string, data: Buffer) => {
      const digest = sha256Digest(data);
      const response = await call('POST', `/v2/${repo}/blobs/uploads/?digest=${digest}`, {
        body: data,
        headers: { 'Content-Type': 'application/octet-stream' },
      });
      if (response.status === 202) {
        // Registries may ignore the monolithic POST and open a session instead; finish it with a PUT.
        const location = new URL(response.headers.get('location') ?? '', registry.url);
        location.searchParams.set('digest', digest);
        assert.equal(
          (
            await call('PUT', location.toString(), {
              body: data,
              headers: { 'Content-Type': 'application/octet-stream' },
            })
          ).status,
          201,
        );
      } else {
        assert.equal(response.status, 201);
      }
      return digest;
    };
    const imageManifest = async (repo: string, content: string, mediaType = OCI_MANIFEST) => {
      const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', content }));
      const layer = Buffer.from(`layer ${content}`);
      const configType =
        mediaType === OCI_MANIFEST
          ? 'application/vnd.oci.image.config.v1+json'
          : 'application/vnd.docker.container.image.v1+json';
      const layerType =
        mediaType === OCI_MANIFEST
          ? 'application/vnd.oci.image.layer.v1.tar'
          : 'application/vnd.docker.image.rootfs.diff.tar.gzip';
      const manifest = JSON.stringify({
        schemaVersion: 2,
        mediaType,
        config: { mediaType: configType, digest: await pushBlob(repo, config), size: config.length },
        layers: [{ mediaType: layerType, digest: await pushBlob(repo, layer), size: layer.length }],
      });
      return { bytes: Buffer.from(manifest), digest: sha256Digest(manifest) };
    };
    const putManifest = (repo: string, reference: string, bytes: Buffer, mediaType = OCI_MANIFEST) =>
      call('PUT', `/v2/${repo}/manifests/${reference}`, {
        body: bytes,
        headers: { 'Content-Type': mediaType },
      });

    it('answers GET /v2/ with 200', async () => {
      const response = await call('GET', '/v2/');
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('docker-distribution-api-version'), 'registry/2.0');
    });

    it('pushes a blob monolithically and serves it with digest and length', async () => {
      const data = Buffer.from('hello blob');
      const digest = await pushBlob('conformance/blobs', data);
      const head = await call('HEAD', `/v2/conformance/blobs/blobs/${digest}`);
      assert.equal(head.status, 200);
      assert.equal(head.headers.get('content-length'), String(data.length));
      assert.equal(head.headers.get('docker-content-digest'), digest);
      const get = await call('GET', `/v2/conformance/blobs/blobs/${digest}`);
      assert.equal(Buffer.from(await get.arrayBuffer()).toString(), 'hello blob');
    });

    it('pushes a blob in chunks (POST, PATCH with Content-Range, PUT ?digest)', async () => {
      const data = Buffer.from('0123456789'.repeat(10));
      const digest = sha256Digest(data);
      const started = await call('POST', '/v2/conformance/chunks/blobs/uploads/');
      assert.equal(started.status, 202);
      let location = new URL(started.headers.get('location') ?? '', registry.url).toString();
      for (let offset = 0; offset < data.length; offset += 40) {
        const chunk = data.subarray(offset, offset + 40);
        const patched = await call('PATCH', location, {
          body: chunk,
          headers: {
            'Content-Type': 'application/octet-stream',
            'Content-Range': `${offset}-${offset + chunk.length - 1}`,
            'Content-Length': String(chunk.length),
          },
        });
        assert.equal(patched.status, 202);
        assert.equal(patched.headers.get('range'), `0-${offset + chunk.length - 1}`);
        location = new URL(patched.headers.get('location') ?? '', registry.url).toString();
      }
      const finish = new URL(location);
      finish.searchParams.set('digest', digest);
      const put = await call('PUT', finish.toString());
      assert.equal(put.status, 201);
      assert.equal(put.headers.get('docker-content-digest'), digest);
      assert.equal((await call('HEAD', `/v2/conformance/chunks/blobs/${digest}`)).status, 200);
    });

    it('rejects an out-of-order chunk with 416', strictOnly, async () => {
      const started = await call('POST', '/v2/conformance/chunks/blobs/uploads/');
      const location = new URL(started.headers.get('location') ?? '', registry.url).toString();
      const response = await call('PATCH', location, {
        body: 'abc',
        headers: {
          'Content-Type': 'application/octet-stream',
          'Content-Range': '5-7',
          'Content-Length': '3',
        },
      });
      assert.equal(response.status, 416);
    });

    it('rejects an upload whose content does not match its digest, storing nothing', async () => {
      const claimed = sha256Digest('what I claim');
      const started = await call('POST', '/v2/conformance/bad/blobs/uploads/');
      const location = new URL(started.headers.get('location') ?? '', registry.url);
      location.searchParams.set('digest', claimed);
      const response = await call('PUT', location.toString(), {
        body: 'something else',
        headers: { 'Content-Type': 'application/octet-stream' },
      });
      assert.equal(response.status, 400);
      assert.equal(await errorCode(response), 'DIGEST_INVALID');
      assert.equal((await call('HEAD', `/v2/conformance/bad/blobs/${claimed}`)).status, 404);
      assert.equal(
        (await call('HEAD', `/v2/conformance/bad/blobs/${sha256Digest('something else')}`)).status,
        404,
      );
    });

    it('mounts a blob from another repository', async () => {
      const digest = await pushBlob('conformance/source', Buffer.from('shared layer'));
      const response = await call(
        'POST',
        `/v2/conformance/target/blobs/uploads/?mount=${digest}&from=conformance/source`,
      );
      assert.equal(response.status, 201);
      assert.equal((await call('HEAD', `/v2/conformance/target/blobs/${digest}`)).status, 200);
    });

    for (const mediaType of [OCI_MANIFEST, DOCKER_MANIFEST]) {
      it(`puts and gets a manifest (${mediaType.split('.').slice(-2).join('.')}) by tag and by digest`, async () => {
        const { bytes, digest } = await imageManifest('conformance/manifests', mediaType, mediaType);
        const put = await putManifest('conformance/manifests', 'v1', bytes, mediaType);
        assert.equal(put.status, 201);
        assert.equal(put.headers.get('docker-content-digest'), digest);
        for (const reference of ['v1', digest]) {
          const get = await call('GET', `/v2/conformance/manifests/manifests/${reference}`, {
            headers: { Accept: mediaType },
          });
          assert.equal(get.status, 200);
          assert.equal(get.headers.get('content-type'), mediaType);
          assert.equal(get.headers.get('docker-content-digest'), digest);
          assert.deepEqual(Buffer.from(await get.arrayBuffer()), bytes);
          const head = await call('HEAD', `/v2/conformance/manifests/manifests/${reference}`, {
            headers: { Accept: mediaType },
          });
          assert.equal(head.status, 200);
          assert.equal(head.headers.get('content-length'), String(bytes.length));
        }
      });
    }

    it('puts an index whose children are in the repository', async () => {
      const child = await imageManifest('conformance/index', 'child');
      await putManifest('conformance/index', child.digest, child.bytes);
      const index = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: OCI_INDEX,
          manifests: [
            {
              mediaType: OCI_MANIFEST,
              digest: child.digest,
              size: child.bytes.length,
              platform: { os: 'linux', architecture: 'amd64' },
            },
          ],
        }),
      );
      const put = await putManifest('conformance/index', 'multi', index, OCI_INDEX);
      assert.equal(put.status, 201);
    });

    it('rejects a manifest that references unknown blobs', async () => {
      const manifest = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: OCI_MANIFEST,
          config: {
            mediaType: 'application/vnd.oci.image.config.v1+json',
            digest: sha256Digest('missing config'),
            size: 14,
          },
          layers: [],
        }),
      );
      const response = await putManifest('conformance/missing', 'v1', manifest);
      assert.equal(response.status, 400);
      assert.equal(await errorCode(response), 'MANIFEST_BLOB_UNKNOWN');
    });

    it('answers unknown manifests and blobs with 404 and the spec codes', async () => {
      await imageManifest('conformance/unknown', 'x');
      const manifest = await call('GET', '/v2/conformance/unknown/manifests/nope', {
        headers: { Accept: OCI_MANIFEST },
      });
      assert.equal(manifest.status, 404);
      assert.equal(await errorCode(manifest), 'MANIFEST_UNKNOWN');
      const blob = await call('GET', `/v2/conformance/unknown/blobs/${sha256Digest('nope')}`);
      assert.equal(blob.status, 404);
      assert.equal(await errorCode(blob), 'BLOB_UNKNOWN');
    });

    it('lists tags in lexical order, paginated with n/last and a Link header', strictOnly, async () => {
      const { bytes } = await imageManifest('conformance/tags', 'tags');
      for (const tag of ['c', 'a', 'b', 'd'])
        assert.equal((await putManifest('conformance/tags', tag, bytes)).status, 201);
      const all = await call('GET', '/v2/conformance/tags/tags/list');
      assert.deepEqual(((await all.json()) as { tags: string[] }).tags, ['a', 'b', 'c', 'd']);
      const page = await call('GET', '/v2/conformance/tags/tags/list?n=2');
      assert.deepEqual(((await page.json()) as { tags: string[] }).tags, ['a', 'b']);
      assert.match(page.headers.get('link') ?? '', /<[^>]*last=b[^>]*>; rel="next"/);
      const next = await call('GET', '/v2/conformance/tags/tags/list?n=2&last=b');
      assert.deepEqual(((await next.json()) as { tags: string[] }).tags, ['c', 'd']);
    });

    it('deletes a manifest by digest (its tags go with it) and unlinks a blob', async () => {
      const { bytes, digest } = await imageManifest('conformance/delete', 'delete');
      await putManifest('conformance/delete', 'gone', bytes);
      assert.equal((await call('DELETE', `/v2/conformance/delete/manifests/${digest}`)).status, 202);
      assert.equal(
        (
          await call('GET', `/v2/conformance/delete/manifests/${digest}`, {
            headers: { Accept: OCI_MANIFEST },
          })
        ).status,
        404,
      );
      assert.equal(
        (await call('GET', '/v2/conformance/delete/manifests/gone', { headers: { Accept: OCI_MANIFEST } }))
          .status,
        404,
      );
      const blob = await pushBlob('conformance/delete', Buffer.from('delete me'));
      assert.equal((await call('DELETE', `/v2/conformance/delete/blobs/${blob}`)).status, 202);
      assert.equal((await call('HEAD', `/v2/conformance/delete/blobs/${blob}`)).status, 404);
    });

    it('rejects invalid repository names', async () => {
      const response = await call('POST', '/v2/Bad..Name/blobs/uploads/');
      assert.ok(response.status >= 400 && response.status < 500, `status ${response.status}`);
    });
  });
}
