/**
 * Distribution-spec conformance cases over plain HTTP `fetch`, run against the embedded registry and the
 * real distribution registry alike. Only behaviour both show belongs here: whatever the real registry
 * does in these cases, ours must do too. Cases where distribution 2.8 lags the spec live with the
 * embedded registry's own tests (chunk order, tag order and pagination, tag deletion, referrers).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sha256Digest } from '../../src/core/index.js';

export interface ConformanceTarget {
  url: string;
  close(): Promise<void>;
}

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
const OCTETS = { 'Content-Type': 'application/octet-stream' };

export interface TestManifest {
  bytes: Buffer;
  digest: string;
}

/** A thin HTTP client for one registry, shared by the conformance cases and the embedded-only tests. */
export class RegistryProbe {
  constructor(
    readonly url: string,
    private readonly headers: Record<string, string> = {},
  ) {}

  call(
    method: string,
    path: string,
    init: { body?: Buffer | string; headers?: Record<string, string> } = {},
  ) {
    const target = path.startsWith('http') ? path : `${this.url}${path}`;
    return fetch(target, { method, body: init.body, headers: { ...this.headers, ...init.headers } });
  }

  /** A registry's Location header, relative or absolute, as an absolute URL. */
  location(response: Response): URL {
    const location = response.headers.get('location');
    assert.ok(location, `no Location header (status ${response.status})`);
    return new URL(location, this.url);
  }

  /** Pushes a blob, monolithically if the registry takes that, else by POST then PUT. */
  async pushBlob(repository: string, data: Buffer | string): Promise<string> {
    const digest = sha256Digest(data);
    const posted = await this.call('POST', `/v2/${repository}/blobs/uploads/?digest=${digest}`, {
      body: data,
      headers: OCTETS,
    });
    if (posted.status === 201) return digest;
    // Registries may ignore a monolithic POST and open a session instead (distribution 2.8 does).
    assert.equal(posted.status, 202);
    const finish = this.location(posted);
    finish.searchParams.set('digest', digest);
    const put = await this.call('PUT', finish.toString(), { body: data, headers: OCTETS });
    assert.equal(put.status, 201, await put.text());
    return digest;
  }

  /** Pushes a config and a layer and returns (without pushing) an image manifest naming them. */
  async imageManifest(
    repository: string,
    seed: string,
    options: { mediaType?: string; extra?: Record<string, unknown> } = {},
  ): Promise<TestManifest> {
    const mediaType = options.mediaType ?? OCI_MANIFEST;
    const docker = mediaType === DOCKER_MANIFEST;
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', seed }));
    const layer = Buffer.from(`layer of ${seed}`);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType,
        config: {
          mediaType: docker
            ? 'application/vnd.docker.container.image.v1+json'
            : 'application/vnd.oci.image.config.v1+json',
          digest: await this.pushBlob(repository, config),
          size: config.length,
        },
        layers: [
          {
            mediaType: docker
              ? 'application/vnd.docker.image.rootfs.diff.tar.gzip'
              : 'application/vnd.oci.image.layer.v1.tar',
            digest: await this.pushBlob(repository, layer),
            size: layer.length,
          },
        ],
        ...options.extra,
      }),
    );
    return { bytes: manifest, digest: sha256Digest(manifest) };
  }

  putManifest(repository: string, reference: string, bytes: Buffer, mediaType = OCI_MANIFEST) {
    return this.call('PUT', `/v2/${repository}/manifests/${reference}`, {
      body: bytes,
      headers: { 'Content-Type': mediaType },
    });
  }

  getManifest(repository: string, reference: string, method = 'GET') {
    const accept = [OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST].join(', ');
    return this.call(method, `/v2/${repository}/manifests/${reference}`, { headers: { Accept: accept } });
  }
}

export async function errorCode(response: Response): Promise<string | undefined> {
  const body = (await response.json()) as { errors?: { code?: string }[] };
  return body.errors?.[0]?.code;
}

export function registryConformanceSuite(name: string, start: () => Promise<ConformanceTarget>): void {
  describe(`distribution-spec conformance: ${name}`, () => {
    let target: ConformanceTarget;
    let registry: RegistryProbe;
    before(async () => {
      target = await start();
      registry = new RegistryProbe(target.url);
    });
    after(() => target?.close());

    it('answers GET /v2/ with 200 and the API version header', async () => {
      const response = await registry.call('GET', '/v2/');
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('docker-distribution-api-version'), 'registry/2.0');
    });

    it('pushes a blob monolithically and serves it with digest and length', async () => {
      const digest = await registry.pushBlob('conformance/blobs', 'hello blob');
      const head = await registry.call('HEAD', `/v2/conformance/blobs/blobs/${digest}`);
      assert.equal(head.status, 200);
      assert.equal(head.headers.get('content-length'), '10');
      assert.equal(head.headers.get('docker-content-digest'), digest);
      const get = await registry.call('GET', `/v2/conformance/blobs/blobs/${digest}`);
      assert.equal(get.status, 200);
      assert.equal(get.headers.get('docker-content-digest'), digest);
      assert.equal(await get.text(), 'hello blob');
    });

    it('pushes an empty blob', async () => {
      const digest = await registry.pushBlob('conformance/blobs', '');
      const head = await registry.call('HEAD', `/v2/conformance/blobs/blobs/${digest}`);
      assert.equal(head.status, 200);
      assert.equal(head.headers.get('content-length'), '0');
    });

    it('serves a byte range of a blob', async () => {
      const digest = await registry.pushBlob('conformance/blobs', '0123456789');
      const response = await registry.call('GET', `/v2/conformance/blobs/blobs/${digest}`, {
        headers: { Range: 'bytes=2-5' },
      });
      assert.equal(response.status, 206);
      assert.equal(await response.text(), '2345');
    });

    it('pushes a blob in chunks (POST, PATCH with Content-Range, status GET, PUT ?digest)', async () => {
      const data = Buffer.from('0123456789'.repeat(10));
      const digest = sha256Digest(data);
      const started = await registry.call('POST', '/v2/conformance/chunks/blobs/uploads/');
      assert.equal(started.status, 202);
      assert.equal(started.headers.get('range'), '0-0');
      assert.ok(started.headers.get('docker-upload-uuid'));
      let location = registry.location(started);
      for (let offset = 0; offset < 80; offset += 40) {
        const chunk = data.subarray(offset, offset + 40);
        const patched = await registry.call('PATCH', location.toString(), {
          body: chunk,
          headers: { ...OCTETS, 'Content-Range': `${offset}-${offset + chunk.length - 1}` },
        });
        assert.equal(patched.status, 202);
        assert.equal(patched.headers.get('range'), `0-${offset + chunk.length - 1}`);
        location = registry.location(patched);
      }
      const status = await registry.call('GET', location.toString());
      assert.equal(status.status, 204);
      assert.equal(status.headers.get('range'), '0-79');
      location = registry.location(status);
      // The last chunk travels with the closing PUT.
      location.searchParams.set('digest', digest);
      const put = await registry.call('PUT', location.toString(), {
        body: data.subarray(80),
        headers: OCTETS,
      });
      assert.equal(put.status, 201);
      assert.equal(put.headers.get('docker-content-digest'), digest);
      registry.location(put);
      const get = await registry.call('GET', `/v2/conformance/chunks/blobs/${digest}`);
      assert.deepEqual(Buffer.from(await get.arrayBuffer()), data);
    });

    it('rejects an upload whose bytes do not match its digest, storing nothing', async () => {
      const claimed = sha256Digest('what I claim');
      const started = await registry.call('POST', '/v2/conformance/mismatch/blobs/uploads/');
      const location = registry.location(started);
      location.searchParams.set('digest', claimed);
      const put = await registry.call('PUT', location.toString(), {
        body: 'something else',
        headers: OCTETS,
      });
      assert.equal(put.status, 400);
      assert.equal(await errorCode(put), 'DIGEST_INVALID');
      for (const digest of [claimed, sha256Digest('something else')]) {
        assert.equal((await registry.call('HEAD', `/v2/conformance/mismatch/blobs/${digest}`)).status, 404);
      }
    });

    it('cancels an upload session', async () => {
      const started = await registry.call('POST', '/v2/conformance/cancel/blobs/uploads/');
      const location = registry.location(started);
      assert.equal((await registry.call('DELETE', location.toString())).status, 204);
      assert.equal((await registry.call('GET', location.toString())).status, 404);
    });

    it('answers an unknown upload session with 404', async () => {
      const response = await registry.call(
        'GET',
        '/v2/conformance/cancel/blobs/uploads/2b1d3c4e-6a7b-4c1e-9f3a-8a0c6f4e5f60',
      );
      assert.equal(response.status, 404);
    });

    it('mounts a blob from another repository, and opens a session when it cannot', async () => {
      const digest = await registry.pushBlob('conformance/source', 'shared layer');
      const mounted = await registry.call(
        'POST',
        `/v2/conformance/target/blobs/uploads/?mount=${digest}&from=conformance/source`,
      );
      assert.equal(mounted.status, 201);
      assert.equal(mounted.headers.get('docker-content-digest'), digest);
      assert.equal((await registry.call('HEAD', `/v2/conformance/target/blobs/${digest}`)).status, 200);
      const missing = sha256Digest('not anywhere');
      const fallback = await registry.call(
        'POST',
        `/v2/conformance/target/blobs/uploads/?mount=${missing}&from=conformance/source`,
      );
      assert.equal(fallback.status, 202);
      registry.location(fallback);
    });

    it('does not serve a blob to a repository it was not pushed or mounted to', async () => {
      const digest = await registry.pushBlob('conformance/own', 'private layer');
      assert.equal((await registry.call('HEAD', `/v2/conformance/other/blobs/${digest}`)).status, 404);
    });

    for (const mediaType of [OCI_MANIFEST, DOCKER_MANIFEST]) {
      it(`puts and gets a ${mediaType} by tag and by digest`, async () => {
        const repository = 'conformance/manifests';
        const { bytes, digest } = await registry.imageManifest(repository, mediaType, { mediaType });
        const put = await registry.putManifest(repository, 'v1', bytes, mediaType);
        assert.equal(put.status, 201, await put.clone().text());
        assert.equal(put.headers.get('docker-content-digest'), digest);
        registry.location(put);
        for (const reference of ['v1', digest]) {
          const get = await registry.getManifest(repository, reference);
          assert.equal(get.status, 200);
          assert.equal(get.headers.get('content-type'), mediaType);
          assert.equal(get.headers.get('docker-content-digest'), digest);
          assert.deepEqual(Buffer.from(await get.arrayBuffer()), bytes);
          const head = await registry.getManifest(repository, reference, 'HEAD');
          assert.equal(head.status, 200);
          assert.equal(head.headers.get('content-length'), String(bytes.length));
          assert.equal(head.headers.get('docker-content-digest'), digest);
        }
      });
    }

    it('puts a manifest by digest, and rejects one whose digest does not match', async () => {
      const repository = 'conformance/by-digest';
      const { bytes, digest } = await registry.imageManifest(repository, 'by digest');
      assert.equal((await registry.putManifest(repository, digest, bytes)).status, 201);
      assert.equal((await registry.getManifest(repository, digest)).status, 200);
      const wrong = await registry.putManifest(repository, sha256Digest('other'), bytes);
      assert.equal(wrong.status, 400);
      assert.equal(await errorCode(wrong), 'DIGEST_INVALID');
    });

    for (const [indexType, childType] of [
      [OCI_INDEX, OCI_MANIFEST],
      [DOCKER_MANIFEST_LIST, DOCKER_MANIFEST],
    ] as const) {
      it(`puts a ${indexType} whose children are in the repository`, async () => {
        const repository = 'conformance/index';
        const child = await registry.imageManifest(repository, indexType, { mediaType: childType });
        assert.equal(
          (await registry.putManifest(repository, child.digest, child.bytes, childType)).status,
          201,
        );
        const index = Buffer.from(
          JSON.stringify({
            schemaVersion: 2,
            mediaType: indexType,
            manifests: [
              {
                mediaType: childType,
                digest: child.digest,
                size: child.bytes.length,
                platform: { os: 'linux', architecture: 'amd64' },
              },
            ],
          }),
        );
        const put = await registry.putManifest(repository, 'multi', index, indexType);
        assert.equal(put.status, 201);
        const get = await registry.getManifest(repository, 'multi');
        assert.equal(get.headers.get('content-type'), indexType);
        assert.deepEqual(Buffer.from(await get.arrayBuffer()), index);
      });
    }

    it('rejects a manifest that names a blob the repository does not have', async () => {
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
      const response = await registry.putManifest('conformance/missing', 'v1', manifest);
      assert.equal(response.status, 400);
      assert.equal(await errorCode(response), 'MANIFEST_BLOB_UNKNOWN');
    });

    it('rejects a malformed manifest and one whose mediaType contradicts Content-Type', async () => {
      const malformed = await registry.putManifest('conformance/invalid', 'v1', Buffer.from('not json'));
      assert.equal(malformed.status, 400);
      assert.equal(await errorCode(malformed), 'MANIFEST_INVALID');
      const { bytes } = await registry.imageManifest('conformance/invalid', 'contradiction');
      const contradiction = await registry.putManifest('conformance/invalid', 'v1', bytes, DOCKER_MANIFEST);
      assert.equal(contradiction.status, 400);
      assert.equal(await errorCode(contradiction), 'MANIFEST_INVALID');
    });

    it('answers unknown manifests, blobs and repositories with 404 and the spec codes', async () => {
      await registry.pushBlob('conformance/unknown', 'something');
      const manifest = await registry.getManifest('conformance/unknown', 'nope');
      assert.equal(manifest.status, 404);
      assert.equal(await errorCode(manifest), 'MANIFEST_UNKNOWN');
      const byDigest = await registry.getManifest('conformance/unknown', sha256Digest('nope'), 'GET');
      assert.equal(byDigest.status, 404);
      assert.equal(await errorCode(byDigest), 'MANIFEST_UNKNOWN');
      const blob = await registry.call('GET', `/v2/conformance/unknown/blobs/${sha256Digest('nope')}`);
      assert.equal(blob.status, 404);
      assert.equal(await errorCode(blob), 'BLOB_UNKNOWN');
      const tags = await registry.call('GET', '/v2/conformance/never-pushed/tags/list');
      assert.equal(tags.status, 404);
      assert.equal(await errorCode(tags), 'NAME_UNKNOWN');
    });

    it('lists the tags of a repository', async () => {
      const repository = 'conformance/tags';
      const { bytes } = await registry.imageManifest(repository, 'tags');
      for (const tag of ['c', 'a', 'b']) {
        assert.equal((await registry.putManifest(repository, tag, bytes)).status, 201);
      }
      const response = await registry.call('GET', `/v2/${repository}/tags/list`);
      assert.equal(response.status, 200);
      const listed = (await response.json()) as { name: string; tags: string[] };
      assert.equal(listed.name, repository);
      // distribution 2.8 lists in storage order; the spec's order and pagination are checked elsewhere.
      assert.deepEqual([...listed.tags].sort(), ['a', 'b', 'c']);
    });

    it('deletes a manifest by digest, and its tags with it', async () => {
      const repository = 'conformance/delete';
      const { bytes, digest } = await registry.imageManifest(repository, 'delete');
      assert.equal((await registry.putManifest(repository, 'gone', bytes)).status, 201);
      assert.equal((await registry.call('DELETE', `/v2/${repository}/manifests/${digest}`)).status, 202);
      for (const reference of [digest, 'gone']) {
        const response = await registry.getManifest(repository, reference);
        assert.equal(response.status, 404);
        assert.equal(await errorCode(response), 'MANIFEST_UNKNOWN');
      }
      const again = await registry.call('DELETE', `/v2/${repository}/manifests/${digest}`);
      assert.equal(again.status, 404);
    });

    it('deletes a blob', async () => {
      const digest = await registry.pushBlob('conformance/delete', 'delete me');
      assert.equal((await registry.call('DELETE', `/v2/conformance/delete/blobs/${digest}`)).status, 202);
      assert.equal((await registry.call('HEAD', `/v2/conformance/delete/blobs/${digest}`)).status, 404);
      const again = await registry.call('DELETE', `/v2/conformance/delete/blobs/${digest}`);
      assert.equal(again.status, 404);
      assert.equal(await errorCode(again), 'BLOB_UNKNOWN');
    });

    it('serves repositories with many path components', async () => {
      const repository = 'a/b.c/d_e/f-g/h';
      const { bytes, digest } = await registry.imageManifest(repository, 'deep');
      assert.equal((await registry.putManifest(repository, 'v1', bytes)).status, 201);
      assert.equal(
        (await registry.getManifest(repository, 'v1')).headers.get('docker-content-digest'),
        digest,
      );
    });

    it('rejects invalid repository names with a 4xx', async () => {
      for (const bad of ['a..b', 'trailing-/x', '-lead', 'a//b']) {
        const response = await registry.call('POST', `/v2/${bad}/blobs/uploads/`);
        assert.ok(response.status >= 400 && response.status < 500, `${bad}: status ${response.status}`);
      }
    });
  });
}
