import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isSigilError, sha256Digest } from '../../src/core/index.js';
import {
  buildTestImage,
  type ImageIndex,
  isIndex,
  parseManifest,
  selectPlatform,
} from '../../src/oci/index.js';

const D = sha256Digest('x');
const descriptor = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: D, size: 1 };

function rejects(json: unknown, fragment: string, mediaType?: string) {
  assert.throws(
    () => parseManifest(Buffer.from(JSON.stringify(json)), mediaType, 'reg/app:v1'),
    (err) =>
      isSigilError(err, 'BAD_MANIFEST') &&
      err.message.includes(fragment) &&
      err.message.includes('reg/app:v1'),
  );
}

describe('manifests', () => {
  it('parses OCI and Docker image manifests and indexes', () => {
    const image = buildTestImage({ files: { a: 'b' } });
    const parsed = parseManifest(image.manifest, undefined, 'x');
    assert.equal(isIndex(parsed), false);
    const index = parseManifest(
      Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [descriptor] })),
      'application/vnd.docker.distribution.manifest.list.v2+json',
      'x',
    );
    assert.equal(isIndex(index), true);
  });

  it('names the field that is wrong', () => {
    rejects([], 'not a JSON object');
    rejects({ schemaVersion: 1 }, 'schemaVersion 1');
    rejects({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json' }, '"layers"');
    rejects(
      { schemaVersion: 2, layers: [], config: { ...descriptor, size: -1 } },
      'config: manifest has invalid size',
    );
    rejects(
      { schemaVersion: 2, layers: [{ ...descriptor, digest: 'sha256:short' }], config: descriptor },
      'layers[0]',
    );
    rejects({ schemaVersion: 2, layers: [], config: descriptor, annotations: { a: 1 } }, 'annotations');
    rejects(
      { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [] },
      'declares mediaType',
      'application/vnd.oci.image.manifest.v1+json',
    );
    rejects(
      { schemaVersion: 2, mediaType: 'text/plain', layers: [], config: descriptor },
      'unsupported media type',
    );
  });

  it('selects a platform from an index and lists the offer when none matches', () => {
    const index: ImageIndex = {
      schemaVersion: 2,
      manifests: [
        { ...descriptor, digest: sha256Digest('amd64'), platform: { os: 'linux', architecture: 'amd64' } },
        {
          ...descriptor,
          digest: sha256Digest('arm64'),
          platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
        },
      ],
    };
    assert.equal(
      selectPlatform(index, { os: 'linux', architecture: 'arm64' }, 'x').digest,
      sha256Digest('arm64'),
    );
    assert.equal(
      selectPlatform(index, { os: 'linux', architecture: 'arm64', variant: 'v8' }, 'x').digest,
      sha256Digest('arm64'),
    );
    assert.throws(
      () => selectPlatform(index, { os: 'windows', architecture: 'amd64' }, 'x'),
      /linux\/amd64, linux\/arm64\/v8/,
    );
  });

  it('builds a deterministic test image whose layer is a tar that tar(1) reads', () => {
    const a = buildTestImage({ files: { 'hello.txt': 'hello\n', 'dir/b.txt': 'b' } });
    const b = buildTestImage({ files: { 'dir/b.txt': 'b', 'hello.txt': 'hello\n' } });
    assert.equal(a.digest, b.digest);
    const dir = mkdtempSync(join(tmpdir(), 'sigil-tar-'));
    writeFileSync(join(dir, 'layer.tgz'), a.layer);
    assert.deepEqual(
      execFileSync('tar', ['-tzf', join(dir, 'layer.tgz')])
        .toString()
        .trim()
        .split('\n'),
      ['dir/b.txt', 'hello.txt'],
    );
    assert.equal(execFileSync('tar', ['-xzOf', join(dir, 'layer.tgz'), 'hello.txt']).toString(), 'hello\n');
  });
});
