import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isSigilError, sha256Digest } from '../../src/core/index.js';
import {
  buildTar,
  OCI_CONFIG,
  OCI_MANIFEST,
  parseReference,
  pushTestImage,
  RegistryClient,
  type RunningRegistry,
  startRegistry,
} from '../../src/oci/index.js';
import { catalogAll, catalogContent } from '../../src/sbom/catalogers.js';

// A Go 1.24 module-mode binary shipped on the test machine (docker-registry was built without modules).
const GO_BINARY = '/usr/bin/cbt';

import { applyLayer } from '../../src/sbom/filesystem.js';
import { generateSbom, readTar } from '../../src/sbom/index.js';
import type { FileView } from '../../src/sbom/model.js';

const OS_RELEASE = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n';
const DPKG_STATUS = `Package: libc6
Status: install ok installed
Architecture: amd64
Version: 2.36-9+deb12u4
Description: GNU C Library
 continuation line

Package: removed-pkg
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0

Package: base-files
Status: install ok installed
Architecture: amd64
Version: 12.4+deb12u5
`;
const APK_DB =
  'C:Q1abc=\nP:musl\nV:1.2.4-r2\nA:x86_64\nL:MIT\n\nC:Q1def=\nP:busybox\nV:1.36.1-r5\nA:x86_64\nL:GPL-2.0-only\n';
const LOCK = JSON.stringify({
  lockfileVersion: 3,
  packages: {
    '': { name: 'app' },
    'node_modules/@scope/lib': { version: '2.0.0', license: 'MIT' },
    'node_modules/left-pad': { version: '1.3.0' },
  },
});
const METADATA =
  'Metadata-Version: 2.1\nName: Requests_Toolbelt\nVersion: 1.0.0\nLicense: Apache-2.0\n\nLong description: here\n';

let registry: RunningRegistry;
let dataDir: string;
const client = new RegistryClient();

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'sigil-sbom-'));
  registry = await startRegistry({ host: '127.0.0.1', port: 0, dataDir });
});
after(async () => {
  await registry.close();
  await rm(dataDir, { recursive: true, force: true });
});

async function push(name: string, files: Record<string, string | Buffer>): Promise<string> {
  const image = `${registry.address}/sbom/${name}:1`;
  await pushTestImage(client, parseReference(image), { files });
  return image;
}

describe('sbom from an image', () => {
  it('catalogs dpkg, apk, npm and python packages with purls, skipping removed dpkg packages', async () => {
    const image = await push('mixed', {
      'etc/os-release': OS_RELEASE,
      'var/lib/dpkg/status': DPKG_STATUS,
      'lib/apk/db/installed': APK_DB,
      'app/package-lock.json': LOCK,
      'usr/lib/python3/site-packages/requests_toolbelt-1.0.0.dist-info/METADATA': METADATA,
    });
    const { packages } = await generateSbom(image, 'spdx-json', { client });
    const purls = packages.map((p) => p.purl);
    assert.deepEqual(purls, [
      'pkg:apk/debian/busybox@1.36.1-r5?arch=x86_64&distro=debian-12',
      'pkg:apk/debian/musl@1.2.4-r2?arch=x86_64&distro=debian-12',
      'pkg:deb/debian/base-files@12.4%2Bdeb12u5?arch=amd64&distro=debian-12',
      'pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12',
      'pkg:npm/%40scope/lib@2.0.0',
      'pkg:npm/left-pad@1.3.0',
      'pkg:pypi/requests-toolbelt@1.0.0',
    ]);
    assert.equal(packages.find((p) => p.name === 'musl')?.license, 'MIT');
    assert.equal(packages.find((p) => p.name === 'libc6')?.foundIn, '/var/lib/dpkg/status');
  });

  it('writes SPDX 2.3 with DESCRIBES/CONTAINS and purl external refs', async () => {
    const image = await push('spdx', { 'etc/os-release': OS_RELEASE, 'var/lib/dpkg/status': DPKG_STATUS });
    const doc = JSON.parse((await generateSbom(image, 'spdx-json', { client })).document);
    assert.equal(doc.spdxVersion, 'SPDX-2.3');
    assert.equal(doc.SPDXID, 'SPDXRef-DOCUMENT');
    assert.match(doc.documentNamespace, /^https:\/\//);
    assert.match(doc.creationInfo.created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(doc.packages.length, 3);
    for (const pkg of doc.packages) assert.match(pkg.SPDXID, /^SPDXRef-[A-Za-z0-9.-]+$/);
    assert.equal(doc.packages[1].externalRefs[0].referenceCategory, 'PACKAGE-MANAGER');
    assert.deepEqual(
      doc.relationships.map((r: { relationshipType: string }) => r.relationshipType),
      ['DESCRIBES', 'CONTAINS', 'CONTAINS'],
    );
  });

  it('writes CycloneDX 1.6 with the image as metadata.component', async () => {
    const image = await push('cdx', { 'lib/apk/db/installed': APK_DB });
    const doc = JSON.parse((await generateSbom(image, 'cyclonedx-json', { client })).document);
    assert.equal(doc.bomFormat, 'CycloneDX');
    assert.equal(doc.specVersion, '1.6');
    assert.match(doc.serialNumber, /^urn:uuid:[0-9a-f-]{36}$/);
    assert.equal(doc.metadata.component.type, 'container');
    assert.equal(doc.components.length, 2);
    assert.equal(doc.components[0]['bom-ref'], doc.components[0].purl);
  });

  it('rejects a layer entry with ../, naming the layer digest and the entry', async () => {
    const image = await push('traversal', { '../etc/passwd': 'x' });
    await assert.rejects(generateSbom(image, 'spdx-json', { client }), (err) => {
      assert.ok(isSigilError(err, 'BAD_INPUT'));
      assert.match(err.message, /layer sha256:[0-9a-f]{64}: tar entry "\.\.\/etc\/passwd" escapes/);
      return true;
    });
  });

  it('rejects a garbage dpkg status file, naming it', async () => {
    const image = await push('garbage', { 'var/lib/dpkg/status': 'this is not\na status file\n' });
    await assert.rejects(
      generateSbom(image, 'spdx-json', { client }),
      /\/var\/lib\/dpkg\/status: malformed line/,
    );
  });

  it('rejects an unknown layer media type', async () => {
    const ref = parseReference(`${registry.address}/sbom/weird:1`);
    const layer = Buffer.from('not a layer');
    const config = Buffer.from('{}');
    await client.pushBlob(ref, layer);
    await client.pushBlob(ref, config);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: { mediaType: OCI_CONFIG, digest: sha256Digest(config), size: config.length },
        layers: [{ mediaType: 'application/x-weird', digest: sha256Digest(layer), size: layer.length }],
      }),
    );
    await client.putManifest(ref, '1', manifest, OCI_MANIFEST);
    await assert.rejects(generateSbom(`${registry.address}/sbom/weird:1`, 'spdx-json', { client }), (err) => {
      assert.ok(isSigilError(err, 'UNSUPPORTED'));
      assert.match(err.message, /unsupported layer media type "application\/x-weird"/);
      return true;
    });
  });
});

describe('layer application', () => {
  const keepAll = (_path: string, content: Buffer) => content;

  it('a whiteout in an upper layer removes a package database', () => {
    const view: FileView = new Map();
    applyLayer(
      view,
      buildTar({ 'lib/apk/db/installed': APK_DB, 'etc/os-release': OS_RELEASE }),
      'l1',
      keepAll,
    );
    applyLayer(view, buildTar({ 'lib/apk/db/.wh.installed': '' }), 'l2', keepAll);
    assert.deepEqual(catalogAll(view).packages, []);
    assert.ok(view.has('etc/os-release'));
  });

  it('an opaque whiteout hides everything below its directory from lower layers', () => {
    const view: FileView = new Map();
    applyLayer(
      view,
      buildTar({ 'var/lib/dpkg/status.d/a': 'Package: a\nVersion: 1\n', 'var/x': 'y' }),
      'l1',
      keepAll,
    );
    applyLayer(
      view,
      buildTar({
        'var/lib/dpkg/status.d/.wh..wh..opq': '',
        'var/lib/dpkg/status.d/b': 'Package: b\nVersion: 2\n',
      }),
      'l2',
      keepAll,
    );
    assert.deepEqual(
      catalogAll(view).packages.map((p) => p.name),
      ['b'],
    );
    assert.ok(view.has('var/x'));
  });
});

describe('tar reader', () => {
  it('reads GNU long names and pax paths', () => {
    const long = `${'d/'.repeat(80)}file`;
    const header = (name: string, size: number, flag: string) => {
      const block = Buffer.alloc(512);
      block.write(name, 0);
      block.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
      block.write(' '.repeat(8), 148);
      block.write(flag, 156);
      block.write('ustar\0', 257);
      block.write('00', 263);
      const sum = block.reduce((a, b) => a + b, 0);
      block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
      return block;
    };
    const pad = (data: Buffer) => Buffer.concat([data, Buffer.alloc((512 - (data.length % 512)) % 512)]);
    const longData = Buffer.from(`${long}\0`);
    const paxRecord = `path=${long}2`;
    const paxLine = (() => {
      let length = paxRecord.length + 3;
      while (`${length} ${paxRecord}\n`.length !== length) length += 1;
      return Buffer.from(`${length} ${paxRecord}\n`);
    })();
    const tar = Buffer.concat([
      header('././@LongLink', longData.length, 'L'),
      pad(longData),
      header('short', 2, '0'),
      pad(Buffer.from('hi')),
      header('PaxHeaders/x', paxLine.length, 'x'),
      pad(paxLine),
      header('short2', 0, '0'),
      Buffer.alloc(1024),
    ]);
    assert.deepEqual(
      readTar(tar, 't').map((e) => e.path),
      [long, `${long}2`],
    );
  });

  it('rejects a corrupted header checksum', () => {
    const tar = buildTar({ a: 'b' });
    tar[0] = 0x7a;
    assert.throws(() => readTar(tar, 'layer X'), /layer X: tar header checksum mismatch/);
  });
});

describe('go cataloger', () => {
  it('reads module and dependencies from a real Go binary on this machine', {
    skip: !existsSync(GO_BINARY) && `no ${GO_BINARY}`,
  }, () => {
    const view: FileView = new Map();
    const kept = catalogContent('usr/bin/cbt', readFileSync(GO_BINARY));
    assert.ok(kept);
    view.set('usr/bin/cbt', kept);
    const packages = catalogAll(view).packages;
    assert.ok(packages.length > 5, `found ${packages.length}`);
    assert.ok(packages.every((p) => p.purl.startsWith('pkg:golang/') && p.foundIn === '/usr/bin/cbt'));
  });
});
