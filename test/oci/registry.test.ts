import assert from 'node:assert/strict';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sha256Digest } from '../../src/core/index.js';
import { parseReference, pushTestImage, RegistryClient, startRegistry } from '../../src/oci/index.js';
import { registryConformanceSuite } from '../helpers/registry-conformance.js';

const newDataDir = async () => join(await mkdtemp(join(tmpdir(), 'sigil-registry-')), 'data');

registryConformanceSuite(
  'embedded registry',
  async () => startRegistry({ host: '127.0.0.1', port: 0, dataDir: await newDataDir() }),
  { specStrict: true },
);

describe('embedded registry: beyond distribution 2.8', () => {
  let dataDir: string;
  let registry: Awaited<ReturnType<typeof startRegistry>>;
  const client = new RegistryClient({});
  before(async () => {
    dataDir = await newDataDir();
    registry = await startRegistry({ host: '127.0.0.1', port: 0, dataDir });
  });
  after(() => registry.close());

  it('serves the referrers API with the artifactType filter', async () => {
    const image = parseReference(`${registry.address}/ref/app:v1`);
    const subject = await pushTestImage(client, image, { files: { a: 'subject' } });
    const config = Buffer.from('{}');
    await client.pushBlob(image, config);
    for (const artifactType of ['application/vnd.example.sbom', 'application/vnd.example.sig']) {
      const manifest = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          artifactType,
          config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256Digest(config), size: 2 },
          layers: [],
          subject: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: subject, size: 1 },
        }),
      );
      const response = await fetch(`${registry.url}/v2/ref/app/manifests/${sha256Digest(manifest)}`, {
        method: 'PUT',
        body: manifest,
        headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' },
      });
      assert.equal(response.status, 201);
      assert.equal(response.headers.get('oci-subject'), subject);
    }
    assert.equal((await client.referrers(image, subject)).length, 2);
    const sboms = await client.referrers(image, subject, { artifactType: 'application/vnd.example.sbom' });
    assert.deepEqual(
      sboms.map((d) => d.artifactType),
      ['application/vnd.example.sbom'],
    );
    const filtered = await fetch(
      `${registry.url}/v2/ref/app/referrers/${subject}?artifactType=application/vnd.example.sig`,
    );
    assert.equal(filtered.headers.get('oci-filters-applied'), 'artifactType');
  });

  it('deletes a tag alone, keeping the manifest', async () => {
    const image = parseReference(`${registry.address}/tags/app:old`);
    const digest = await pushTestImage(client, image, { files: { a: 'tagged' } });
    assert.equal(
      (await fetch(`${registry.url}/v2/tags/app/manifests/old`, { method: 'DELETE' })).status,
      202,
    );
    assert.equal(await client.headManifest(image, 'old'), undefined);
    assert.equal((await client.headManifest(image, digest))?.digest, digest);
  });

  it('keeps everything across a restart', async () => {
    const image = parseReference(`${registry.address}/persist/app:v1`);
    const digest = await pushTestImage(client, image, { files: { a: 'persist' } });
    await registry.close();
    registry = await startRegistry({ host: '127.0.0.1', port: 0, dataDir });
    const moved = parseReference(`${registry.address}/persist/app:v1`);
    assert.equal(await client.resolveDigest(moved), digest);
    assert.deepEqual(await client.listTags(moved), ['v1']);
  });

  it('leaves no upload or temporary file behind after a rejected upload', async () => {
    const started = await fetch(`${registry.url}/v2/clean/app/blobs/uploads/`, { method: 'POST' });
    const location = new URL(started.headers.get('location') ?? '', registry.url);
    location.searchParams.set('digest', sha256Digest('claimed'));
    await fetch(location, {
      method: 'PUT',
      body: 'other',
      headers: { 'Content-Type': 'application/octet-stream' },
    });
    assert.deepEqual(await readdir(join(dataDir, 'uploads')), []);
  });

  it('rejects path tricks in names and upload ids', async () => {
    for (const path of ['/v2/../../etc/blobs/uploads/', '/v2/a/blobs/uploads/..%2F..%2Fx']) {
      const response = await fetch(`${registry.url}${path}`, { method: 'GET' });
      assert.ok(response.status >= 400 && response.status < 500, `${path}: ${response.status}`);
    }
  });
});

describe('embedded registry: Basic auth', () => {
  let registry: Awaited<ReturnType<typeof startRegistry>>;
  before(async () => {
    registry = await startRegistry({
      host: '127.0.0.1',
      port: 0,
      dataDir: await newDataDir(),
      auth: { username: 'ci', password: 's3cret' },
    });
  });
  after(() => registry.close());

  it('challenges anonymous and wrong credentials, admits the right ones', async () => {
    const anonymous = await fetch(`${registry.url}/v2/`);
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.headers.get('www-authenticate'), 'Basic realm="sigil"');
    const basic = (user: string, pass: string) => ({
      Authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`,
    });
    assert.equal((await fetch(`${registry.url}/v2/`, { headers: basic('ci', 'wrong') })).status, 401);
    assert.equal((await fetch(`${registry.url}/v2/`, { headers: basic('ci', 's3cret') })).status, 200);
  });

  it('works with the client given credentials', async () => {
    const client = new RegistryClient({
      credentials: { get: async () => ({ username: 'ci', password: 's3cret' }) },
    });
    const image = parseReference(`${registry.address}/private/app:v1`);
    const digest = await pushTestImage(client, image, { files: { a: 'private' } });
    assert.equal(await client.resolveDigest(image), digest);
    const anonymous = new RegistryClient({ credentials: { get: async () => undefined } });
    await assert.rejects(anonymous.resolveDigest(image), /401/);
  });
});
