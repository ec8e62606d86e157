/**
 * sign / verify of images through the `sigil` binary, as a user runs them, against any registry: the
 * embedded one (test/e2e) and the real distribution registry (test/interop). The layout checks read the
 * registry over plain HTTP, not through our client, and compare with cosign's layout byte for byte.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Digest } from '../../src/core/index.js';
import { buildSignatureImage, OCI_MANIFEST_MEDIA_TYPE } from '../../src/formats/index.js';
import { type ImageReference, parseReference, pushTestImage, RegistryClient } from '../../src/oci/index.js';
import { errorLine, sigil, workDir } from './cli.js';
import { COSIGN_KEY, COSIGN_PUB, FIXTURES } from './fixtures.js';

interface StartedRegistry {
  address: string;
  close(): Promise<void>;
}

const SIG_ACCEPT = 'application/vnd.oci.image.manifest.v1+json';

interface SignatureManifestJson {
  schemaVersion: number;
  mediaType: string;
  config: { mediaType: string; digest: string };
  layers: { mediaType: string; digest: string; annotations: Record<string, string> }[];
}

export function imageSigningSuite(
  name: string,
  start: () => Promise<StartedRegistry>,
  skip: string | false = false,
): void {
  describe(`sign / verify images: ${name}`, { skip }, () => {
    let registry: StartedRegistry;
    let dir: string;
    const client = new RegistryClient({});
    const env = { COSIGN_PASSWORD: 'pw' };
    const run = (...args: string[]) => sigil(args, { cwd: dir, env });
    const image = (repo: string, tagOrDigest = ':v1') => `${registry.address}/${repo}${tagOrDigest}`;
    const push = (repo: string, content: string): Promise<Digest> =>
      pushTestImage(client, parseReference(image(repo)), { files: { 'file.txt': content } });
    const sigTag = (digest: Digest) => `sha256-${digest.slice('sha256:'.length)}.sig`;
    const rawManifest = async (repo: string, reference: string) => {
      const response = await fetch(`http://${registry.address}/v2/${repo}/manifests/${reference}`, {
        headers: { Accept: SIG_ACCEPT },
      });
      assert.equal(response.status, 200, `GET manifest ${repo}:${reference}`);
      return {
        contentType: response.headers.get('content-type'),
        json: (await response.json()) as SignatureManifestJson,
      };
    };
    const rawBlob = async (repo: string, digest: string) =>
      Buffer.from(await (await fetch(`http://${registry.address}/v2/${repo}/blobs/${digest}`)).arrayBuffer());

    before(async () => {
      registry = await start();
      dir = await workDir();
      assert.equal((await run('generate-key-pair')).code, 0);
      assert.equal((await run('generate-key-pair', '--output-key-prefix', 'other')).code, 0);
    });
    after(() => registry?.close());

    it("signs a tag with annotations, verifies, and prints cosign's JSON", async () => {
      const digest = await push('app', 'v1');
      const signed = await run(
        'sign',
        '--key',
        'cosign.key',
        '--tlog-upload=false',
        '-a',
        'env=prod',
        image('app'),
      );
      assert.equal(signed.code, 0, signed.stderr);
      const verified = await run(
        'verify',
        '--key',
        'cosign.pub',
        '--insecure-ignore-tlog',
        '-a',
        'env=prod',
        image('app'),
      );
      assert.equal(verified.code, 0, verified.stderr);
      assert.match(verified.stderr, /The cosign claims were validated/);
      assert.equal(
        verified.stdout.trim(),
        `[{"critical":{"identity":{"docker-reference":"${registry.address}/app"},"image":{"docker-manifest-digest":"${digest}"},"type":"cosign container image signature"},"optional":{"env":"prod"}}]`,
      );
      const byDigest = await run(
        'verify',
        '--key',
        'cosign.pub',
        '--insecure-ignore-tlog',
        image('app', `@${digest}`),
      );
      assert.equal(byDigest.code, 0, byDigest.stderr);
    });

    it("stores the signature in cosign's layout: media types, annotations, payload bytes, config", async () => {
      const digest = await push('layout', 'layout');
      assert.equal(
        (await run('sign', '--key', 'cosign.key', '--tlog-upload=false', image('layout'))).code,
        0,
      );
      const { contentType, json } = await rawManifest('layout', sigTag(digest));
      assert.equal(contentType, OCI_MANIFEST_MEDIA_TYPE);
      assert.equal(json.schemaVersion, 2);
      assert.equal(json.mediaType, OCI_MANIFEST_MEDIA_TYPE);
      assert.equal(json.config.mediaType, 'application/vnd.oci.image.config.v1+json');
      assert.equal(json.layers.length, 1);
      const layer = json.layers[0];
      assert.ok(layer);
      assert.equal(layer.mediaType, 'application/vnd.dev.cosign.simplesigning.v1+json');
      assert.deepEqual(Object.keys(layer.annotations), ['dev.cosignproject.cosign/signature']);
      const payload = await rawBlob('layout', layer.digest);
      assert.equal(
        payload.toString(),
        `{"critical":{"identity":{"docker-reference":"${registry.address}/layout"},"image":{"docker-manifest-digest":"${digest}"},"type":"cosign container image signature"},"optional":null}`,
      );
      const config = JSON.parse((await rawBlob('layout', json.config.digest)).toString());
      assert.deepEqual(config.rootfs, { type: 'layers', diff_ids: [layer.digest] });
      assert.equal(config.history.length, 1);
    });

    it('appends signatures from other keys, and does not duplicate an identical one', async () => {
      const digest = await push('multi', 'multi');
      for (const key of ['cosign', 'other', 'cosign']) {
        assert.equal(
          (await run('sign', '--key', `${key}.key`, '--tlog-upload=false', image('multi'))).code,
          0,
        );
      }
      const { json } = await rawManifest('multi', sigTag(digest));
      assert.equal(json.layers.length, 2);
      for (const key of ['cosign', 'other']) {
        assert.equal(
          (await run('verify', '--key', `${key}.pub`, '--insecure-ignore-tlog', image('multi'))).code,
          0,
        );
      }
    });

    it('signs and verifies with the cosign-made fixture key (empty password)', async () => {
      await push('fixture', 'fixture');
      const noPassword = { COSIGN_PASSWORD: '' };
      const signed = await sigil(
        ['sign', '--key', join(FIXTURES, COSIGN_KEY), '--tlog-upload=false', image('fixture')],
        { cwd: dir, env: noPassword },
      );
      assert.equal(signed.code, 0, signed.stderr);
      const verified = await sigil(
        ['verify', '--key', join(FIXTURES, COSIGN_PUB), '--insecure-ignore-tlog', image('fixture')],
        { cwd: dir, env: noPassword },
      );
      assert.equal(verified.code, 0, verified.stderr);
    });

    it('fails closed without --insecure-ignore-tlog, and for a wrong key or annotation', async () => {
      const unlogged = await run('verify', '--key', 'cosign.pub', image('app'));
      assert.equal(unlogged.code, 1);
      assert.match(errorLine(unlogged), /transparency log/);
      const wrongKey = await run('verify', '--key', 'other.pub', '--insecure-ignore-tlog', image('app'));
      assert.equal(wrongKey.code, 1);
      assert.match(errorLine(wrongKey), /no matching signatures.*invalid signature/);
      const annotation = await run(
        'verify',
        '--key',
        'cosign.pub',
        '--insecure-ignore-tlog',
        '-a',
        'env=dev',
        image('app'),
      );
      assert.equal(annotation.code, 1);
      assert.match(errorLine(annotation), /annotation env=dev/);
    });

    it('rejects an unsigned image, and a tag moved to an unsigned digest', async () => {
      await push('unsigned', 'nobody signed me');
      const unsigned = await run(
        'verify',
        '--key',
        'cosign.pub',
        '--insecure-ignore-tlog',
        image('unsigned'),
      );
      assert.equal(unsigned.code, 1);
      assert.match(errorLine(unsigned), /no signatures found/);
      await push('moved', 'signed');
      assert.equal((await run('sign', '--key', 'cosign.key', '--tlog-upload=false', image('moved'))).code, 0);
      await push('moved', 'pushed after signing');
      const moved = await run('verify', '--key', 'cosign.pub', '--insecure-ignore-tlog', image('moved'));
      assert.equal(moved.code, 1);
      assert.match(errorLine(moved), /no signatures found/);
    });

    it('rejects an edited payload that keeps the original signature', async () => {
      const digest = await push('tamper', 'tamper');
      assert.equal(
        (await run('sign', '--key', 'cosign.key', '--tlog-upload=false', image('tamper'))).code,
        0,
      );
      const repo = parseReference(image('tamper'));
      const { manifest } = await client.getManifest(repo, sigTag(digest));
      const layer = 'layers' in manifest ? manifest.layers[0] : undefined;
      assert.ok(layer);
      const edited = (await client.getBlob(repo, layer.digest))
        .toString()
        .replace('"optional":null', '"optional":{"x":"y"}');
      const pushed = await client.pushBlob(repo, Buffer.from(edited));
      const forged = buildSignatureImage([{ ...layer, digest: pushed.digest, size: pushed.size } as never]);
      await client.pushBlob(repo, forged.config);
      await client.putManifest(repo, sigTag(digest), forged.manifest, OCI_MANIFEST_MEDIA_TYPE);
      const result = await run('verify', '--key', 'cosign.pub', '--insecure-ignore-tlog', image('tamper'));
      assert.equal(result.code, 1);
      assert.match(errorLine(result), /invalid signature/);
    });

    it('rejects a signature copied from another image (payload names another digest)', async () => {
      const signedDigest = await push('swap-a', 'image a');
      const victimDigest = await push('swap-b', 'image b');
      assert.equal(
        (await run('sign', '--key', 'cosign.key', '--tlog-upload=false', image('swap-a'))).code,
        0,
      );
      await copySignatures(
        client,
        parseReference(image('swap-a')),
        signedDigest,
        parseReference(image('swap-b')),
        victimDigest,
      );
      const result = await run('verify', '--key', 'cosign.pub', '--insecure-ignore-tlog', image('swap-b'));
      assert.equal(result.code, 1);
      assert.match(errorLine(result), /payload is for digest/);
    });

    it('checks the claimed docker-reference only when asked (--check-docker-reference)', async () => {
      await push('identity', 'identity');
      const signed = await run(
        'sign',
        '--key',
        'cosign.key',
        '--tlog-upload=false',
        '--sign-container-identity',
        'mirror.example/original',
        image('identity'),
      );
      assert.equal(signed.code, 0, signed.stderr);
      assert.equal(
        (await run('verify', '--key', 'cosign.pub', '--insecure-ignore-tlog', image('identity'))).code,
        0,
      );
      const strict = await run(
        'verify',
        '--key',
        'cosign.pub',
        '--insecure-ignore-tlog',
        '--check-docker-reference',
        image('identity'),
      );
      assert.equal(strict.code, 1);
      assert.match(errorLine(strict), /docker-reference "mirror.example\/original"/);
    });

    it('refuses to sign without a log unless --tlog-upload=false, pushing nothing', async () => {
      const digest = await push('nolog', 'nolog');
      const result = await run('sign', '--key', 'cosign.key', image('nolog'));
      assert.equal(result.code, 1);
      assert.match(errorLine(result), /transparency log/);
      const response = await fetch(`http://${registry.address}/v2/nolog/manifests/${sigTag(digest)}`, {
        method: 'HEAD',
        headers: { Accept: SIG_ACCEPT },
      });
      assert.equal(response.status, 404);
    });

    it('gives one clear line for a bad reference, a missing image and an unreachable registry', async () => {
      const bad = await run(
        'verify',
        '--key',
        'cosign.pub',
        '--insecure-ignore-tlog',
        `${registry.address}/Bad/Name`,
      );
      assert.equal(bad.code, 1);
      assert.match(errorLine(bad), /invalid image reference/);
      const missing = await run(
        'verify',
        '--key',
        'cosign.pub',
        '--insecure-ignore-tlog',
        image('does-not-exist'),
      );
      assert.equal(missing.code, 1);
      assert.match(errorLine(missing), /404/);
      const unreachable = await run(
        'sign',
        '--key',
        'cosign.key',
        '--tlog-upload=false',
        '127.0.0.1:1/app:v1',
      );
      assert.equal(unreachable.code, 1);
      errorLine(unreachable);
    });
  });
}

/** The attack of copying image A's `.sig` manifest (and its blobs) to image B's signature tag. */
async function copySignatures(
  client: RegistryClient,
  from: ImageReference,
  fromDigest: Digest,
  to: ImageReference,
  toDigest: Digest,
): Promise<void> {
  const tag = (d: Digest) => `sha256-${d.slice('sha256:'.length)}.sig`;
  const { bytes, manifest, mediaType } = await client.getManifest(from, tag(fromDigest));
  if (!('layers' in manifest)) throw new Error('expected an image manifest');
  for (const descriptor of [manifest.config, ...manifest.layers]) {
    if (descriptor) await client.pushBlob(to, await client.getBlob(from, descriptor.digest));
  }
  await client.putManifest(to, tag(toDigest), bytes, mediaType);
}
