import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isSigilError, sha256Digest } from '../../src/core/index.js';
import {
  ANNOTATION_SIGNATURE,
  artifactTag,
  buildSignatureImage,
  SIMPLE_SIGNING_MEDIA_TYPE,
  signatureLayer,
  signatureLayers,
} from '../../src/formats/index.js';

const payload = Buffer.from('{"critical":{}}');

test('artifact tags follow cosign: sha256-<hex>.sig / .att / .sbom', () => {
  const digest = `sha256:${'c'.repeat(64)}` as const;
  assert.equal(artifactTag(digest, 'sig'), `sha256-${'c'.repeat(64)}.sig`);
  assert.equal(artifactTag(digest, 'att'), `sha256-${'c'.repeat(64)}.att`);
});

test('signature image is laid out as go-containerregistry marshals it', () => {
  const layer = signatureLayer(payload, 'c2ln');
  const { config, manifest } = buildSignatureImage([layer.descriptor]);
  const digest = sha256Digest(payload);
  assert.equal(
    config.toString(),
    `{"architecture":"","created":"0001-01-01T00:00:00Z","history":[{"created":"0001-01-01T00:00:00Z"}],"os":"","rootfs":{"type":"layers","diff_ids":["${digest}"]},"config":{}}`,
  );
  assert.equal(
    manifest.toString(),
    `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":${config.length},"digest":"${sha256Digest(config)}"},"layers":[{"mediaType":"application/vnd.dev.cosign.simplesigning.v1+json","size":${payload.length},"digest":"${digest}","annotations":{"dev.cosignproject.cosign/signature":"c2ln"}}]}`,
  );
});

test('appending keeps earlier layers first, one history entry each', () => {
  const a = signatureLayer(payload, 'YQ==').descriptor;
  const b = signatureLayer(Buffer.from('other'), 'Yg==').descriptor;
  const { config, manifest } = buildSignatureImage([a, b]);
  const parsed = JSON.parse(manifest.toString());
  assert.deepEqual(
    parsed.layers.map((l: { digest: string }) => l.digest),
    [a.digest, b.digest],
  );
  assert.equal(JSON.parse(config.toString()).history.length, 2);
  assert.equal(signatureLayers(parsed, SIMPLE_SIGNING_MEDIA_TYPE, 'sig').length, 2);
});

test('a signature manifest with a foreign layer is rejected, not skipped', () => {
  const manifest = JSON.parse(
    buildSignatureImage([signatureLayer(payload, 'YQ==').descriptor]).manifest.toString(),
  );
  manifest.layers.push({
    mediaType: 'application/vnd.oci.image.layer.v1.tar',
    size: 1,
    digest: `sha256:${'d'.repeat(64)}`,
  });
  assert.throws(
    () => signatureLayers(manifest, SIMPLE_SIGNING_MEDIA_TYPE, 'repo:tag'),
    (err) => isSigilError(err, 'BAD_MANIFEST') && /layers\[1\]/.test(err.message),
  );
  assert.throws(() => signatureLayers({}, SIMPLE_SIGNING_MEDIA_TYPE, 'x'), /no "layers"/);
  const badAnnotation = {
    layers: [
      {
        mediaType: SIMPLE_SIGNING_MEDIA_TYPE,
        size: 1,
        digest: `sha256:${'e'.repeat(64)}`,
        annotations: { [ANNOTATION_SIGNATURE]: 5 },
      },
    ],
  };
  assert.throws(() => signatureLayers(badAnnotation, SIMPLE_SIGNING_MEDIA_TYPE, 'x'), /not a string/);
});
