/**
 * Interop: the real rekor-cli against `sigil tlog serve` (one log for the file, run as its own process
 * as a user runs it): upload of a hashedrekord, loginfo (which checks the signed checkpoint), get by log
 * index and by UUID, search by artifact hash, public key and artifact, and verify (inclusion proof against
 * the checkpoint) by UUID and by the artifact, signature and key themselves.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sha256 } from '../../src/core/index.js';
import { runProcess, workDir } from '../helpers/cli.js';
import { requirePeer } from '../helpers/peers.js';
import { startTlogProcess, type TlogProcess } from '../helpers/tlog-process.js';

const rekorCli = requirePeer('rekor-cli');

describe('interop: rekor-cli against sigil tlog serve', { skip: rekorCli.skip }, () => {
  let tlog: TlogProcess;
  let dir: string;
  let uuid: string;
  const artifact = Buffer.from('artifact logged with rekor-cli\n');

  before(async () => {
    dir = await workDir();
    tlog = await startTlogProcess(join(dir, 'tlog'));
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    writeFileSync(join(dir, 'artifact.txt'), artifact);
    writeFileSync(join(dir, 'artifact.sig'), sign('sha256', artifact, privateKey));
    writeFileSync(join(dir, 'key.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
  });
  after(() => tlog.stop());

  const rekor = async (...args: string[]) => {
    const result = await runProcess(rekorCli.path, [...args, '--rekor_server', tlog.url], { cwd: dir });
    assert.equal(result.code, 0, `rekor-cli ${args[0]}: ${result.stderr}`);
    return result.stdout;
  };
  const artifactFlags = [
    '--artifact',
    'artifact.txt',
    '--signature',
    'artifact.sig',
    '--public-key',
    'key.pub',
  ];

  it('uploads a hashedrekord entry, and a second upload finds the same entry', async () => {
    const created = await rekor('upload', '--type', 'hashedrekord', ...artifactFlags);
    assert.match(created, /Created entry at index 0/);
    uuid = /entries\/([0-9a-f]+)/.exec(created)?.[1] as string;
    assert.equal(uuid.length, 80);
    assert.match(await rekor('upload', '--type', 'hashedrekord', ...artifactFlags), /Entry already exists/);
  });

  it('shows the log: loginfo verifies the signed checkpoint', async () => {
    const info = await rekor('loginfo');
    assert.match(info, /Verification Successful!/);
    assert.match(info, /Total Tree Size:\s+1/);
  });

  it('gets the entry by log index and by UUID', async () => {
    const byIndex = JSON.parse(await rekor('get', '--log-index', '0', '--format', 'json'));
    assert.equal(byIndex.UUID, uuid);
    assert.equal(byIndex.Body.HashedRekordObj.data.hash.value, sha256(artifact).toString('hex'));
    assert.match(await rekor('get', '--uuid', uuid), /Index: 0/);
  });

  it('searches by artifact hash, public key and artifact', async () => {
    for (const query of [
      ['--sha', sha256(artifact).toString('hex')],
      ['--sha', `sha256:${sha256(artifact).toString('hex')}`],
      ['--public-key', 'key.pub'],
      ['--artifact', 'artifact.txt'],
    ]) {
      assert.match(await rekor('search', ...query), new RegExp(uuid), query.join(' '));
    }
  });

  it('verifies inclusion by UUID and by the artifact, signature and key (a proposed-entry search)', async () => {
    for (const query of [
      ['--uuid', uuid],
      ['--type', 'hashedrekord', ...artifactFlags],
    ]) {
      const verified = await rekor('verify', ...query);
      assert.match(verified, /Entry Index in Current Tree: 0/);
      assert.match(verified, /Computed Root Hash: ([0-9a-f]{64})\nExpected Root Hash: \1/);
    }
  });
});
