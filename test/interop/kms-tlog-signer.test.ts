/**
 * The private Sigstore's log key in a KMS: `sigil tlog serve --signer awskms://...` (Rekor's
 * --rekor_server.signer) signs its checkpoints and SETs through local-kms; an image logged there verifies
 * with sigil and the real cosign v2 given only the KMS key's public key as the log key.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseReference, pushTestImage, RegistryClient } from '../../src/oci/index.js';
import { SIGIL_BIN, sigil, workDir } from '../helpers/cli.js';
import { cosignPeers, runCosign } from '../helpers/cosign.js';
import { startTestRegistry } from '../helpers/embedded-registry.js';
import { ok } from '../helpers/kms-interop-suite.js';
import { type KmsServer, localKmsPeer, startLocalKms } from '../helpers/kms-servers.js';
import { freePort } from '../helpers/ports.js';

const peer = localKmsPeer();
const cosignV2 = cosignPeers().find((p) => p.major === 2);
const LOG_KEY = 'awskms:///alias/sigil-log';

describe('the log signs with a KMS key (tlog serve --signer)', { skip: peer.skip }, () => {
  let kms: KmsServer;
  let registry: { address: string; close(): Promise<void> };
  let log: ChildProcess;
  let logUrl: string;
  let dir: string;
  const client = new RegistryClient({});

  before(async () => {
    dir = await workDir();
    kms = await startLocalKms(peer.path);
    registry = await startTestRegistry();
    ok(
      await sigil(['generate-key-pair', '--kms', LOG_KEY, '--output-key-prefix', 'log'], {
        cwd: dir,
        env: kms.env,
      }),
      'log key',
    );
    ok(
      await sigil(['generate-key-pair', '--kms', 'awskms:///alias/signer', '--output-key-prefix', 'signer'], {
        cwd: dir,
        env: kms.env,
      }),
      'signing key',
    );
    const port = await freePort();
    logUrl = `http://127.0.0.1:${port}`;
    log = spawn(
      process.execPath,
      [
        SIGIL_BIN,
        'tlog',
        'serve',
        '--addr',
        `127.0.0.1:${port}`,
        '--data-dir',
        join(dir, 'tlog'),
        '--signer',
        LOG_KEY,
        '--verify-workers',
        '0',
      ],
      { env: { PATH: process.env.PATH ?? '', HOME: dir, ...kms.env }, stdio: 'ignore' },
    );
    const deadline = Date.now() + 20_000;
    while (
      !(await fetch(`${logUrl}/api/v1/log`)
        .then((r) => r.ok)
        .catch(() => false))
    ) {
      if (log.exitCode !== null || Date.now() > deadline)
        throw new Error('sigil tlog serve --signer did not start');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });
  after(async () => {
    if (log && log.exitCode === null) {
      const exited = new Promise((resolve) => log.once('exit', resolve));
      log.kill('SIGTERM');
      await exited;
    }
    await registry?.close();
    await kms?.stop();
  });

  it("an entry logged there verifies with the KMS key's public key as the log key (sigil, cosign v2)", async () => {
    const image = `${registry.address}/team/logged:v1`;
    const digest = await pushTestImage(client, parseReference(image), { files: { 'f.txt': 'logged' } });
    const pinned = `${registry.address}/team/logged@${digest}`;
    ok(
      await sigil(['sign', '--key', 'awskms:///alias/signer', '--rekor-url', logUrl, pinned], {
        cwd: dir,
        env: kms.env,
      }),
      'sign',
    );
    const logKey = { SIGSTORE_REKOR_PUBLIC_KEY: join(dir, 'log.pub') };
    ok(await sigil(['verify', '--key', 'signer.pub', pinned], { cwd: dir, env: logKey }), 'sigil verify');
    // Another key as the log's: the entry's SET does not verify, so the signature is refused.
    await copyFile(join(dir, 'signer.pub'), join(dir, 'wrong-log.pub'));
    const wrong = await sigil(['verify', '--key', 'signer.pub', pinned], {
      cwd: dir,
      env: { SIGSTORE_REKOR_PUBLIC_KEY: join(dir, 'wrong-log.pub') },
    });
    assert.equal(wrong.code, 1);
    if (cosignV2 && !cosignV2.skip) {
      ok(
        await runCosign(cosignV2, ['verify', '--key', 'signer.pub', '--rekor-url', logUrl, pinned], {
          cwd: dir,
          env: logKey,
        }),
        'cosign v2 verify',
      );
    }
    const tree = (await (await fetch(`${logUrl}/api/v1/log`)).json()) as {
      treeSize: number;
      signedTreeHead: string;
    };
    assert.equal(tree.treeSize, 1);
  });
});
