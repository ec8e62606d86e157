/**
 * `sigil sbom IMAGE` reads layers as streams: these cover what can go wrong mid-stream (bad gzip, bytes
 * that do not match the digest, a cut tar, hostile paths) against the embedded registry, and that the
 * incremental readers give the same answer whatever the chunk boundaries.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { escapeRegExp, isSigilError, sha256Digest } from '../../src/core/index.js';
import {
  buildTar,
  buildTestImage,
  OCI_LAYER,
  OCI_LAYER_GZIP,
  OCI_MANIFEST,
  parseReference,
  RegistryClient,
  type RunningRegistry,
  startRegistry,
} from '../../src/oci/index.js';
import { catalogCollector, catalogContent } from '../../src/sbom/catalogers.js';
import { generateSbom, readTar } from '../../src/sbom/index.js';
import { type TarEntry, TarStream } from '../../src/sbom/tar.js';

const APK_DB = 'P:musl\nV:1.2.4-r2\nA:x86_64\nL:MIT\n';
const GO_MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');

const dataDir = mkdtempSync(join(tmpdir(), 'sigil-sbom-stream-'));
const client = new RegistryClient();
let registry: RunningRegistry;
before(async () => {
  registry = await startRegistry({ host: '127.0.0.1', port: 0, dataDir });
});
after(async () => {
  await registry.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Pushes an image whose single layer is exactly `layer`, whatever it holds; returns image and digest. */
async function pushRawLayer(name: string, layer: Buffer, mediaType: string) {
  const image = `${registry.address}/stream/${name}:1`;
  const base = buildTestImage({ files: {} });
  const manifest = JSON.parse(base.manifest.toString('utf8')) as { layers: unknown[] };
  manifest.layers = [{ mediaType, digest: sha256Digest(layer), size: layer.length }];
  const ref = parseReference(image);
  await client.pushBlob(ref, layer);
  await client.pushBlob(ref, base.config);
  await client.putManifest(ref, '1', Buffer.from(JSON.stringify(manifest)), OCI_MANIFEST);
  return { image, digest: sha256Digest(layer) };
}

/** A tar header block for a symlink, built the way buildTar builds file headers. */
function symlinkTar(path: string, target: string): Buffer {
  const tar = buildTar({ [path]: '' });
  tar.write('2', 156);
  tar.write(target, 157);
  tar.write(' '.repeat(8), 148);
  const sum = tar.subarray(0, 512).reduce((acc, byte) => acc + byte, 0);
  tar.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return tar;
}

/** Feeds `tar` to a TarStream in pieces of `size` bytes and collects the entries. */
function readInPieces(tar: Buffer, size: number): TarEntry[] {
  const entries: TarEntry[] = [];
  const reader = new TarStream('t', (header) => {
    const pieces: Buffer[] = [];
    return {
      write: (piece) => pieces.push(Buffer.from(piece)),
      end: () => entries.push({ ...header, content: Buffer.concat(pieces) }),
    };
  });
  for (let at = 0; at < tar.length; at += size) reader.write(tar.subarray(at, at + size));
  reader.end();
  return entries;
}

describe('sbom of an image, streaming its layers', () => {
  it('catalogs an uncompressed tar layer as well as a gzip one', async () => {
    const tar = buildTar({ 'lib/apk/db/installed': APK_DB });
    for (const [name, bytes, type] of [
      ['plain', tar, OCI_LAYER],
      ['gzip', gzipSync(tar), OCI_LAYER_GZIP],
    ] as const) {
      const { image } = await pushRawLayer(name, bytes, type);
      const result = await generateSbom(image, 'spdx-json', { client });
      assert.deepEqual(
        result.packages.map((p) => p.purl),
        ['pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64'],
      );
      assert.equal(result.bytesScanned, tar.length);
    }
  });

  it('rejects a gzip layer whose stream is corrupt, naming the layer', async () => {
    const gz = gzipSync(buildTar({ 'lib/apk/db/installed': APK_DB.repeat(50) }));
    gz.fill(0x55, 20, 60);
    const { image, digest } = await pushRawLayer('corrupt-gzip', gz, OCI_LAYER_GZIP);
    await assert.rejects(generateSbom(image, 'spdx-json', { client }), (err) => {
      assert.ok(isSigilError(err, 'BAD_INPUT'), String(err));
      assert.ok(err.message.startsWith(`layer ${digest}: not a gzip stream (`), err.message);
      return true;
    });
  });

  it('rejects a layer cut short of the gzip trailer', async () => {
    const gz = gzipSync(buildTar({ 'lib/apk/db/installed': APK_DB }));
    const { image } = await pushRawLayer('cut-gzip', gz.subarray(0, gz.length - 10), OCI_LAYER_GZIP);
    await assert.rejects(generateSbom(image, 'spdx-json', { client }), /not a gzip stream/);
  });

  it('rejects layer bytes that do not match the digest or the size, whether they parse or not', async () => {
    // Random padding keeps the real layer larger than the substitutes below.
    const real = gzipSync(buildTar({ 'lib/apk/db/installed': APK_DB, pad: randomBytes(2000) }));
    const { image, digest } = await pushRawLayer('tampered', real, OCI_LAYER_GZIP);
    const validLayer = gzipSync(buildTar({ 'lib/apk/db/installed': APK_DB.replace('musl', 'evil') }));
    const garbage = Buffer.concat([validLayer.subarray(0, 30), randomBytes(20)]);
    const mismatch = (other: Buffer) => `content digest is ${sha256Digest(other)}, expected ${digest}`;
    const longer = Buffer.concat([real, Buffer.alloc(1)]);
    for (const [other, message] of [
      [validLayer, mismatch(validLayer)],
      [garbage, mismatch(garbage)],
      [longer, `the registry sent more than the ${real.length} bytes the manifest gives`],
    ] as const) {
      // The registry (or a proxy on the way) answers the blob GET with other bytes.
      const tampering = new RegistryClient({
        fetch: async (input, init) => {
          const response = await fetch(input, init);
          if (!String(input).includes(`/blobs/${digest}`)) return response;
          await response.body?.cancel();
          return new Response(other, { status: 200 });
        },
      });
      // The client's verifying stream (size, then digest) or the layer reader's own hash may speak first.
      await assert.rejects(generateSbom(image, 'spdx-json', { client: tampering }), (err) => {
        assert.ok(isSigilError(err, 'DIGEST_MISMATCH'), String(err));
        assert.ok(err.message.includes(digest), err.message);
        assert.match(
          err.message,
          new RegExp(`${escapeRegExp(message)}|content is (more than )?\\d+ bytes, expected ${real.length}`),
        );
        return true;
      });
    }
  });

  it('rejects a tar cut inside an entry and inside a header, naming the offset', async () => {
    const tar = buildTar({ a: 'x'.repeat(100), 'lib/apk/db/installed': APK_DB });
    const inEntry = await pushRawLayer('cut-entry', tar.subarray(0, 512 + 50), OCI_LAYER);
    await assert.rejects(
      generateSbom(inEntry.image, 'spdx-json', { client }),
      new RegExp(`^SigilError: layer ${inEntry.digest}: tar entry at offset 0 is truncated$`),
    );
    const inHeader = await pushRawLayer('cut-header', gzipSync(tar.subarray(0, 1024 + 100)), OCI_LAYER_GZIP);
    await assert.rejects(
      generateSbom(inHeader.image, 'spdx-json', { client }),
      /: tar entry at offset 1024 is truncated$/,
    );
  });

  it('still rejects ../ paths and escaping symlinks in a gzip layer', async () => {
    const dotdot = await pushRawLayer('dotdot', gzipSync(buildTar({ 'a/../../etc/x': 'y' })), OCI_LAYER_GZIP);
    await assert.rejects(generateSbom(dotdot.image, 'spdx-json', { client }), (err) => {
      assert.ok(isSigilError(err, 'BAD_INPUT'));
      assert.equal(
        err.message,
        `layer ${dotdot.digest}: tar entry "a/../../etc/x" escapes the image root (contains "..")`,
      );
      return true;
    });
    const link = await pushRawLayer('symlink', gzipSync(symlinkTar('a/b', '../../x')), OCI_LAYER_GZIP);
    await assert.rejects(
      generateSbom(link.image, 'spdx-json', { client }),
      /: symlink "a\/b" -> "\.\.\/\.\.\/x" escapes the image root/,
    );
  });
});

describe('incremental readers', () => {
  it('the tar reader gives the same entries whatever the chunk size', () => {
    const tar = Buffer.concat([
      buildTar({ 'var/x': randomBytes(1500), 'etc/os-release': 'ID=debian\n', empty: '' }).subarray(0, -1024),
      symlinkTar('link', '/etc/os-release'),
    ]);
    const whole = readTar(tar, 't');
    assert.deepEqual(
      whole.map((e) => [e.path, e.type, e.size]),
      [
        ['empty', 'file', 0],
        ['etc/os-release', 'file', 10],
        ['var/x', 'file', 1500],
        ['link', 'symlink', 0],
      ],
    );
    for (const size of [1, 7, 511, 512, 513, 4096]) assert.deepEqual(readInPieces(tar, size), whole);
  });

  it('rejects an oversized long-name entry instead of buffering it', () => {
    const tar = buildTar({ '././@LongLink': '' });
    tar.write('L', 156);
    tar.write(`${(8 * 1024 * 1024).toString(8).padStart(11, '0')}\0`, 124);
    tar.write(' '.repeat(8), 148);
    const sum = tar.subarray(0, 512).reduce((acc, byte) => acc + byte, 0);
    tar.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    assert.throws(
      () => readTar(tar, 'l'),
      /^SigilError: l: tar metadata entry at offset 0 is 8388608 bytes$/,
    );
  });

  it('finds Go build info wherever the pieces split the magic, keeping the same window', () => {
    const blob = Buffer.concat([randomBytes(10_000), GO_MAGIC, randomBytes(300_000)]);
    const whole = catalogContent('usr/bin/app', blob);
    assert.ok(whole?.subarray(0, GO_MAGIC.length).equals(GO_MAGIC));
    assert.equal(whole?.length, 256 * 1024);
    for (const size of [1, 5, 9_995, 10_003, 65_536]) {
      const collector = catalogCollector('usr/bin/app');
      for (let at = 0; at < blob.length; at += size) collector.write(blob.subarray(at, at + size));
      assert.ok(collector.result()?.equals(whole as Buffer), `pieces of ${size}`);
    }
    const plain = catalogCollector('usr/bin/other');
    plain.write(randomBytes(70_000));
    assert.equal(plain.result(), undefined);
  });
});
