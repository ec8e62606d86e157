/** The embedded registry: the shared conformance cases, then what distribution 2.8 lacks or does not show. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sha256Digest } from '../../src/core/index.js';
import { buildRegistryApp, type RunningRegistry, startRegistry } from '../../src/oci/registry/index.js';
import {
  errorCode,
  OCI_INDEX,
  OCI_MANIFEST,
  RegistryProbe,
  registryConformanceSuite,
} from './registry-conformance.js';

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

const newDataDir = async () => join(await mkdtemp(join(tmpdir(), 'sigil-registry-')), 'data');

registryConformanceSuite('embedded registry', async () =>
  startRegistry({ host: '127.0.0.1', port: 0, dataDir: await newDataDir() }),
);

describe('embedded registry: beyond distribution 2.8', () => {
  let dataDir: string;
  let running: RunningRegistry;
  let registry: RegistryProbe;
  before(async () => {
    dataDir = await newDataDir();
    running = await startRegistry({ host: '127.0.0.1', port: 0, dataDir });
    registry = new RegistryProbe(running.url);
  });
  after(() => running.close());

  const startUpload = async (repository: string) =>
    registry.location(await registry.call('POST', `/v2/${repository}/blobs/uploads/`));

  it('refuses an out-of-order chunk with 416 and keeps the session where it was', async () => {
    const location = await startUpload('order/app');
    const first = await registry.call('PATCH', location.toString(), {
      body: 'abc',
      headers: { 'Content-Range': '0-2' },
    });
    assert.equal(first.status, 202);
    const gap = await registry.call('PATCH', location.toString(), {
      body: 'xyz',
      headers: { 'Content-Range': '5-7' },
    });
    assert.equal(gap.status, 416);
    assert.equal(gap.headers.get('range'), '0-2');
    assert.equal(await errorCode(gap), 'BLOB_UPLOAD_INVALID');
    const status = await registry.call('GET', location.toString());
    assert.equal(status.headers.get('range'), '0-2');
    const finish = new URL(location);
    finish.searchParams.set('digest', sha256Digest('abcdef'));
    const late = await registry.call('PUT', finish.toString(), {
      body: 'def',
      headers: { 'Content-Range': '4-6' },
    });
    assert.equal(late.status, 416);
    const put = await registry.call('PUT', finish.toString(), {
      body: 'def',
      headers: { 'Content-Range': '3-5' },
    });
    assert.equal(put.status, 201);
  });

  it('takes a blob in one POST with ?digest=, sha256 or sha512', async () => {
    const sha512 = `sha512:${createHash('sha512').update('wide').digest('hex')}`;
    for (const digest of [sha256Digest('wide'), sha512]) {
      const response = await registry.call('POST', `/v2/mono/app/blobs/uploads/?digest=${digest}`, {
        body: 'wide',
        headers: { 'Content-Type': 'application/octet-stream' },
      });
      assert.equal(response.status, 201);
      assert.equal(response.headers.get('docker-content-digest'), digest);
      assert.equal(await (await registry.call('GET', `/v2/mono/app/blobs/${digest}`)).text(), 'wide');
    }
  });

  it('lists tags in order, paginated with n and last and a Link header', async () => {
    const { bytes } = await registry.imageManifest('pages/app', 'pages');
    for (const tag of ['c', 'a', 'e', 'B', 'b', 'd']) {
      assert.equal((await registry.putManifest('pages/app', tag, bytes)).status, 201);
    }
    const tagsOf = async (response: Response) => ((await response.json()) as { tags: string[] }).tags;
    assert.deepEqual(await tagsOf(await registry.call('GET', '/v2/pages/app/tags/list')), [
      'B',
      'a',
      'b',
      'c',
      'd',
      'e',
    ]);
    const first = await registry.call('GET', '/v2/pages/app/tags/list?n=2');
    assert.deepEqual(await tagsOf(first), ['B', 'a']);
    assert.equal(first.headers.get('link'), '</v2/pages/app/tags/list?n=2&last=a>; rel="next"');
    const second = await registry.call('GET', '/v2/pages/app/tags/list?n=2&last=a');
    assert.deepEqual(await tagsOf(second), ['b', 'c']);
    const last = await registry.call('GET', '/v2/pages/app/tags/list?n=2&last=c');
    assert.deepEqual(await tagsOf(last), ['d', 'e']);
    assert.equal(last.headers.get('link'), null);
    const none = await registry.call('GET', '/v2/pages/app/tags/list?n=0');
    assert.deepEqual(await tagsOf(none), []);
    assert.equal(none.headers.get('link'), null);
    assert.equal((await registry.call('GET', '/v2/pages/app/tags/list?n=-1')).status, 400);
  });

  it('deletes a tag alone, keeping the manifest', async () => {
    const { bytes, digest } = await registry.imageManifest('untag/app', 'untag');
    await registry.putManifest('untag/app', 'old', bytes);
    assert.equal((await registry.call('DELETE', '/v2/untag/app/manifests/old')).status, 202);
    assert.equal((await registry.getManifest('untag/app', 'old')).status, 404);
    assert.equal((await registry.getManifest('untag/app', digest)).status, 200);
    assert.equal((await registry.call('DELETE', '/v2/untag/app/manifests/old')).status, 404);
  });

  it('tags a manifest pushed by digest with ?tag= and reports them in OCI-Tag', async () => {
    const { bytes, digest } = await registry.imageManifest('multitag/app', 'multitag');
    const put = await registry.putManifest('multitag/app', `${digest}?tag=1.0&tag=latest`, bytes);
    assert.equal(put.status, 201);
    assert.equal(put.headers.get('oci-tag'), '1.0, latest');
    for (const tag of ['1.0', 'latest']) {
      assert.equal(
        (await registry.getManifest('multitag/app', tag)).headers.get('docker-content-digest'),
        digest,
      );
    }
  });

  it('serves the referrers API, with the artifactType filter', async () => {
    const repository = 'refs/app';
    const subject = await registry.imageManifest(repository, 'subject');
    assert.equal((await registry.putManifest(repository, 'v1', subject.bytes)).status, 201);
    const subjectDescriptor = { mediaType: OCI_MANIFEST, digest: subject.digest, size: subject.bytes.length };
    const sbom = await registry.imageManifest(repository, 'sbom', {
      extra: {
        artifactType: 'application/vnd.example.sbom',
        subject: subjectDescriptor,
        annotations: { 'org.example.kind': 'sbom' },
      },
    });
    // No artifactType: the config media type stands in for it.
    const signature = await registry.imageManifest(repository, 'signature', {
      extra: { subject: subjectDescriptor },
    });
    const index = Buffer.from(
      JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [], subject: subjectDescriptor }),
    );
    for (const [bytes, mediaType] of [
      [sbom.bytes, OCI_MANIFEST],
      [signature.bytes, OCI_MANIFEST],
      [index, OCI_INDEX],
    ] as const) {
      const put = await registry.putManifest(repository, sha256Digest(bytes), bytes, mediaType);
      assert.equal(put.status, 201);
      assert.equal(put.headers.get('oci-subject'), subject.digest);
    }
    const listed = await registry.call('GET', `/v2/${repository}/referrers/${subject.digest}`);
    assert.equal(listed.status, 200);
    assert.equal(listed.headers.get('content-type'), OCI_INDEX);
    assert.equal(listed.headers.get('oci-filters-applied'), null);
    const all = (await listed.json()) as {
      schemaVersion: number;
      mediaType: string;
      manifests: Descriptor[];
    };
    assert.equal(all.schemaVersion, 2);
    assert.equal(all.mediaType, OCI_INDEX);
    const byDigest = new Map(all.manifests.map((d) => [d.digest, d]));
    assert.equal(byDigest.size, 3);
    assert.deepEqual(byDigest.get(sbom.digest), {
      mediaType: OCI_MANIFEST,
      digest: sbom.digest,
      size: sbom.bytes.length,
      artifactType: 'application/vnd.example.sbom',
      annotations: { 'org.example.kind': 'sbom' },
    });
    assert.equal(byDigest.get(signature.digest)?.artifactType, 'application/vnd.oci.image.config.v1+json');
    assert.equal(byDigest.get(sha256Digest(index))?.artifactType, undefined);

    const filtered = await registry.call(
      'GET',
      `/v2/${repository}/referrers/${subject.digest}?artifactType=application/vnd.example.sbom`,
    );
    assert.equal(filtered.headers.get('oci-filters-applied'), 'artifactType');
    const sboms = ((await filtered.json()) as { manifests: Descriptor[] }).manifests;
    assert.deepEqual(
      sboms.map((d) => d.digest),
      [sbom.digest],
    );

    assert.equal((await registry.call('DELETE', `/v2/${repository}/manifests/${sbom.digest}`)).status, 202);
    const after = await registry.call('GET', `/v2/${repository}/referrers/${subject.digest}`);
    assert.equal(((await after.json()) as { manifests: Descriptor[] }).manifests.length, 2);
  });

  it('answers referrers of an unknown subject with an empty index, and a bad digest with 400', async () => {
    const empty = await registry.call('GET', `/v2/refs/none/referrers/${sha256Digest('nothing')}`);
    assert.equal(empty.status, 200);
    assert.deepEqual(((await empty.json()) as { manifests: unknown[] }).manifests, []);
    assert.equal((await registry.call('GET', '/v2/refs/none/referrers/sha256:nope')).status, 400);
  });

  it('accepts a referrer before its subject exists', async () => {
    const missing = { mediaType: OCI_MANIFEST, digest: sha256Digest('later'), size: 5 };
    const early = await registry.imageManifest('refs/early', 'early', { extra: { subject: missing } });
    const put = await registry.putManifest('refs/early', early.digest, early.bytes);
    assert.equal(put.status, 201);
    assert.equal(put.headers.get('oci-subject'), missing.digest);
  });

  it('refuses manifests over 4 MiB with 413, and unserved media types', async () => {
    const huge = await registry.putManifest('limits/app', 'big', Buffer.alloc(4 * 1024 * 1024 + 1, 0x20));
    assert.equal(huge.status, 413);
    const { bytes } = await registry.imageManifest('limits/app', 'odd type');
    const odd = await registry.putManifest('limits/app', 'odd', bytes, 'application/vnd.example.thing+json');
    assert.equal(odd.status, 400);
    assert.equal(await errorCode(odd), 'MANIFEST_INVALID');
  });

  it('answers invalid names with NAME_INVALID and path tricks with a 4xx', async () => {
    const upper = await registry.call('POST', '/v2/Upper/case/blobs/uploads/');
    assert.equal(upper.status, 400);
    assert.equal(await errorCode(upper), 'NAME_INVALID');
    for (const path of [
      '/v2/../../etc/blobs/uploads/',
      '/v2/a/%2e%2e/blobs/uploads/',
      '/v2/a/blobs/uploads/..%2F..%2Fx',
    ]) {
      const response = await registry.call('GET', path);
      assert.ok(response.status >= 400 && response.status < 500, `${path}: ${response.status}`);
    }
  });

  it('lists repositories in the catalog', async () => {
    await registry.pushBlob('catalog/one', 'one');
    const response = await registry.call('GET', '/v2/_catalog');
    const { repositories } = (await response.json()) as { repositories: string[] };
    assert.ok(repositories.includes('catalog/one'));
    assert.deepEqual(repositories, [...repositories].sort());
  });

  it('stores nothing from an upload whose digest does not match', async () => {
    const before = await listFiles(join(dataDir, 'blobs'));
    const claimed = sha256Digest('claimed');
    const monolithic = await registry.call('POST', `/v2/atomic/app/blobs/uploads/?digest=${claimed}`, {
      body: 'other bytes',
      headers: { 'Content-Type': 'application/octet-stream' },
    });
    assert.equal(monolithic.status, 400);
    assert.equal(await errorCode(monolithic), 'DIGEST_INVALID');
    const location = await startUpload('atomic/app');
    location.searchParams.set('digest', claimed);
    const put = await registry.call('PUT', location.toString(), { body: 'other bytes' });
    assert.equal(put.status, 400);
    assert.deepEqual(await listFiles(join(dataDir, 'blobs')), before);
    assert.deepEqual(await readdir(join(dataDir, 'uploads')), []);
    assert.deepEqual(
      (await listFiles(dataDir)).filter((f) => f.endsWith('.tmp')),
      [],
    );
  });

  it('keeps everything across a restart', async () => {
    const { bytes, digest } = await registry.imageManifest('persist/app', 'persist');
    await registry.putManifest('persist/app', 'v1', bytes);
    await running.close();
    running = await startRegistry({ host: '127.0.0.1', port: 0, dataDir });
    registry = new RegistryProbe(running.url);
    const get = await registry.getManifest('persist/app', 'v1');
    assert.equal(get.headers.get('docker-content-digest'), digest);
    assert.deepEqual(Buffer.from(await get.arrayBuffer()), bytes);
    const tags = await registry.call('GET', '/v2/persist/app/tags/list');
    assert.deepEqual(((await tags.json()) as { tags: string[] }).tags, ['v1']);
  });
});

describe('embedded registry: Basic auth', () => {
  let running: RunningRegistry;
  before(async () => {
    running = await startRegistry({
      host: '127.0.0.1',
      port: 0,
      dataDir: await newDataDir(),
      auth: { username: 'ci', password: 's3cret' },
    });
  });
  after(() => running.close());
  const basic = (user: string, pass: string) => ({
    Authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`,
  });

  it('challenges requests without the right credentials', async () => {
    for (const headers of [
      {},
      basic('ci', 'wrong'),
      basic('other', 's3cret'),
      { Authorization: 'Bearer x' },
    ]) {
      for (const path of ['/v2/', '/v2/private/app/tags/list']) {
        const response = await new RegistryProbe(running.url, headers).call('GET', path);
        assert.equal(response.status, 401);
        assert.equal(response.headers.get('www-authenticate'), 'Basic realm="sigil"');
        assert.equal(await errorCode(response), 'UNAUTHORIZED');
      }
    }
  });

  it('admits the right credentials for pushes and pulls', async () => {
    const registry = new RegistryProbe(running.url, basic('ci', 's3cret'));
    assert.equal((await registry.call('GET', '/v2/')).status, 200);
    const { bytes, digest } = await registry.imageManifest('private/app', 'private');
    assert.equal((await registry.putManifest('private/app', 'v1', bytes)).status, 201);
    assert.equal(
      (await registry.getManifest('private/app', 'v1')).headers.get('docker-content-digest'),
      digest,
    );
  });
});

describe('embedded registry: buildRegistryApp', () => {
  it('answers through inject() without listening', async () => {
    const app = buildRegistryApp({ dataDir: await newDataDir() });
    const response = await app.inject({ method: 'GET', url: '/v2/' });
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['docker-distribution-api-version'], 'registry/2.0');
    assert.deepEqual(response.json(), {});
    await app.close();
  });
});

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort();
}
