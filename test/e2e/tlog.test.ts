/**
 * The log end to end through the binary: `sigil tlog serve` as its own process, `sign --rekor-url`
 * records the signature, `verify` checks SET, body and inclusion proof, and the ways it must fail.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { artifactTag, buildSignatureImage, OCI_MANIFEST_MEDIA_TYPE } from '../../src/formats/index.js';
import { parseReference, pushTestImage, RegistryClient, startRegistry } from '../../src/oci/index.js';
import { errorLine, sigil, workDir } from '../helpers/cli.js';
import { freePort } from '../helpers/ports.js';
import { startTlogProcess, type TlogProcess } from '../helpers/tlog-process.js';

describe('sigil tlog + sign/verify with a transparency log', () => {
  let dir: string;
  let tlog: TlogProcess;
  let registry: Awaited<ReturnType<typeof startRegistry>>;
  const client = new RegistryClient({});
  let env: Record<string, string>;
  const image = (repo: string) => `${registry.address}/${repo}:v1`;
  const run = (...args: string[]) => sigil(args, { cwd: dir, env });

  before(async () => {
    dir = await workDir();
    registry = await startRegistry({
      host: '127.0.0.1',
      port: 0,
      dataDir: join(await mkdtemp(join(tmpdir(), 'sigil-reg-')), 'r'),
    });
    tlog = await startTlogProcess(join(dir, 'tlog'), ['--batch-interval', '5']);
    env = { COSIGN_PASSWORD: 'pw', SIGSTORE_REKOR_PUBLIC_KEY: join(dir, 'tlog', 'log-key.pem.pub') };
    assert.equal((await run('generate-key-pair')).code, 0);
    assert.equal((await run('generate-key-pair', '--output-key-prefix', 'other')).code, 0);
  });
  after(async () => {
    await tlog?.stop();
    await registry?.close();
  });

  it('signs with --rekor-url and verifies the SET, the entry body and the inclusion proof', async () => {
    await pushTestImage(client, parseReference(image('logged')), { files: { a: 'logged' } });
    const signed = await run('sign', '--key', 'cosign.key', '--rekor-url', tlog.url, image('logged'));
    assert.equal(signed.code, 0, signed.stderr);
    assert.match(signed.stderr, /tlog entry created with index: \d+/);
    const offline = await run('verify', '--key', 'cosign.pub', image('logged'));
    assert.equal(offline.code, 0, offline.stderr);
    const online = await run('verify', '--key', 'cosign.pub', '--rekor-url', tlog.url, image('logged'));
    assert.equal(online.code, 0, online.stderr);
  });

  it("fails closed without the log key, and with another log's key", async () => {
    const noKey = await sigil(['verify', '--key', 'cosign.pub', image('logged')], {
      cwd: dir,
      env: { COSIGN_PASSWORD: 'pw' },
    });
    assert.equal(noKey.code, 1);
    assert.match(errorLine(noKey), /no trusted log key/);
    const wrongKey = await sigil(['verify', '--key', 'cosign.pub', image('logged')], {
      cwd: dir,
      env: { SIGSTORE_REKOR_PUBLIC_KEY: join(dir, 'other.pub') },
    });
    assert.equal(wrongKey.code, 1);
    assert.match(errorLine(wrongKey), /not the trusted log/);
  });

  it('rejects a genuine log entry that belongs to another signature (GHSA-whqx-f9j3-ch6m)', async () => {
    const victim = await pushTestImage(client, parseReference(image('victim')), { files: { a: 'victim' } });
    const signed = await pushTestImage(client, parseReference(image('donor')), { files: { a: 'donor' } });
    assert.equal((await run('sign', '--key', 'cosign.key', '--rekor-url', tlog.url, image('donor'))).code, 0);
    assert.equal((await run('sign', '--key', 'cosign.key', '--tlog-upload=false', image('victim'))).code, 0);
    // Graft the donor's (valid, logged) bundle annotation onto the victim's unlogged signature.
    const donorRepo = parseReference(image('donor'));
    const victimRepo = parseReference(image('victim'));
    const donor = await client.getManifest(donorRepo, artifactTag(signed, 'sig'));
    const unlogged = await client.getManifest(victimRepo, artifactTag(victim, 'sig'));
    const donorLayer = 'layers' in donor.manifest ? donor.manifest.layers[0] : undefined;
    const victimLayer = 'layers' in unlogged.manifest ? unlogged.manifest.layers[0] : undefined;
    assert.ok(donorLayer?.annotations && victimLayer?.annotations);
    const grafted = {
      ...victimLayer,
      annotations: {
        ...victimLayer.annotations,
        'dev.sigstore.cosign/bundle': donorLayer.annotations['dev.sigstore.cosign/bundle'] ?? '',
      },
    };
    const forged = buildSignatureImage([grafted as never]);
    await client.pushBlob(victimRepo, forged.config);
    await client.putManifest(
      victimRepo,
      artifactTag(victim, 'sig'),
      forged.manifest,
      OCI_MANIFEST_MEDIA_TYPE,
    );
    const result = await run('verify', '--key', 'cosign.pub', image('victim'));
    assert.equal(result.code, 1);
    assert.match(errorLine(result), /does not match the signature/);
  });

  it('reads entries back: tlog get, search and the monitor', async () => {
    const get = await run('tlog', 'get', '--rekor-url', tlog.url, '--log-index', '0');
    assert.equal(get.code, 0, get.stderr);
    assert.match(get.stdout, /^LogID: [0-9a-f]{64}\nIndex: 0\n/);
    const search = await run('tlog', 'search', '--rekor-url', tlog.url, '--public-key', 'cosign.pub');
    assert.equal(search.code, 0, search.stderr);
    assert.equal(search.stdout.trim().split('\n').length, 2);
    const state = join(dir, 'monitor.json');
    const first = await run('tlog', 'verify', '--rekor-url', tlog.url, '--state-file', state);
    assert.equal(first.code, 0, first.stderr);
    await pushTestImage(client, parseReference(image('later')), { files: { a: 'later' } });
    assert.equal((await run('sign', '--key', 'cosign.key', '--rekor-url', tlog.url, image('later'))).code, 0);
    const second = await run('tlog', 'verify', '--rekor-url', tlog.url, '--state-file', state, '-o', 'json');
    assert.equal(second.code, 0, second.stderr);
    const report = JSON.parse(second.stdout);
    assert.equal(report.previousTreeSize, 2);
    assert.equal(report.treeSize, 3);
  });

  it('gives one clear line for bad tlog input, and pushes nothing when the log is unreachable', async () => {
    const neither = await run('tlog', 'get', '--rekor-url', tlog.url);
    assert.equal(neither.code, 1);
    assert.match(errorLine(neither), /exactly one of --log-index and --uuid/);
    const missing = await run('tlog', 'get', '--rekor-url', tlog.url, '--log-index', '999999');
    assert.equal(missing.code, 1);
    assert.match(errorLine(missing), /404/);
    const badUuid = await run('tlog', 'get', '--rekor-url', tlog.url, '--uuid', 'zz');
    assert.equal(badUuid.code, 1);
    assert.match(errorLine(badUuid), /invalid entry UUID/);
    const digest = await pushTestImage(client, parseReference(image('nolog')), { files: { a: 'nolog' } });
    const down = await run(
      'sign',
      '--key',
      'cosign.key',
      '--rekor-url',
      `http://127.0.0.1:${await freePort()}`,
      image('nolog'),
    );
    assert.match(errorLine(down), /ECONNREFUSED/);
    assert.equal(down.code, 1);
    errorLine(down);
    assert.equal(
      await client.headManifest(parseReference(image('nolog')), artifactTag(digest, 'sig')),
      undefined,
    );
  });

  it('rejects a forged submission through the verification workers with 400 and the reason', async () => {
    const forged = {
      apiVersion: '0.0.1',
      kind: 'hashedrekord',
      spec: {
        data: { hash: { algorithm: 'sha256', value: 'a'.repeat(64) } },
        signature: {
          content: Buffer.from('not a signature').toString('base64'),
          publicKey: { content: Buffer.from(readFileSync(join(dir, 'cosign.pub'))).toString('base64') },
        },
      },
    };
    const response = await fetch(`${tlog.url}/api/v1/log/entries`, {
      method: 'POST',
      body: JSON.stringify(forged),
      headers: { 'Content-Type': 'application/json' },
    });
    assert.equal(response.status, 400);
    assert.match(((await response.json()) as { message: string }).message, /does not verify/);
  });

  it('sign-blob --rekor-url writes a bundle whose log entry verify-blob checks against the trusted log key', async () => {
    writeFileSync(join(dir, 'release.txt'), 'release 2.0\n');
    writeFileSync(join(dir, 'forged.txt'), 'release 2.1\n');
    const signed = await run(
      'sign-blob',
      '--key',
      'cosign.key',
      '--rekor-url',
      tlog.url,
      '--bundle',
      'release.sigstore.json',
      'release.txt',
    );
    assert.equal(signed.code, 0, signed.stderr);
    const bundle = JSON.parse(readFileSync(join(dir, 'release.sigstore.json'), 'utf8'));
    assert.equal(bundle.verificationMaterial.tlogEntries.length, 1);
    const ok = await run(
      'verify-blob',
      '--key',
      'cosign.pub',
      '--bundle',
      'release.sigstore.json',
      'release.txt',
    );
    assert.equal(ok.code, 0, ok.stderr);
    const noLogKey = await sigil(
      ['verify-blob', '--key', 'cosign.pub', '--bundle', 'release.sigstore.json', 'release.txt'],
      { cwd: dir, env: {} },
    );
    assert.equal(noLogKey.code, 1);
    assert.match(errorLine(noLogKey), /no trusted log key/);
    const otherLog = await sigil(
      ['verify-blob', '--key', 'cosign.pub', '--bundle', 'release.sigstore.json', 'release.txt'],
      {
        cwd: dir,
        env: { SIGSTORE_REKOR_PUBLIC_KEY: join(dir, 'other.pub') },
      },
    );
    assert.equal(otherLog.code, 1);
    const forged = await run(
      'verify-blob',
      '--key',
      'cosign.pub',
      '--bundle',
      'release.sigstore.json',
      'forged.txt',
    );
    assert.equal(forged.code, 1);
    // The entry is swapped for one logging another artifact: the body no longer matches the signature.
    const other = await run(
      'sign-blob',
      '--key',
      'cosign.key',
      '--rekor-url',
      tlog.url,
      '--bundle',
      'forged.sigstore.json',
      'forged.txt',
    );
    assert.equal(other.code, 0, other.stderr);
    const swapped = {
      ...bundle,
      verificationMaterial: {
        ...bundle.verificationMaterial,
        tlogEntries: JSON.parse(readFileSync(join(dir, 'forged.sigstore.json'), 'utf8')).verificationMaterial
          .tlogEntries,
      },
    };
    writeFileSync(join(dir, 'swapped.sigstore.json'), JSON.stringify(swapped));
    const mismatch = await run(
      'verify-blob',
      '--key',
      'cosign.pub',
      '--bundle',
      'swapped.sigstore.json',
      'release.txt',
    );
    assert.equal(mismatch.code, 1);
    errorLine(mismatch);
  });
});
