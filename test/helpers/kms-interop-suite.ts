/**
 * The interop suite every KMS provider with a real local server runs: the key created by
 * `generate-key-pair --kms`, images and blobs signed by sigil and verified by the real cosign v2/v3 with the
 * same URI and with the public key alone, and cosign's KMS signatures verified by sigil, on the real
 * distribution registry.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseReference, pushTestImage, RegistryClient } from '../../src/oci/index.js';
import { type CliResult, sigil, workDir } from './cli.js';
import { cosignPeers, keySigningFlags, runCosign } from './cosign.js';
import { dockerRegistryInstalled, type PeerRegistry, startDockerRegistry } from './docker-registry.js';
import type { KmsServer } from './kms-servers.js';
import { peerMissing } from './peers.js';

export function ok(result: CliResult, what: string): CliResult {
  assert.equal(result.code, 0, `${what} failed:\n${result.stderr}`);
  return result;
}

export interface KmsSuiteOptions {
  provider: string;
  skip: string | false;
  start(): Promise<KmsServer>;
  /** A key URI that generate-key-pair --kms can create (e.g. awskms:///alias/NAME). */
  keyUri: string;
  /** A second creatable key, for the "another key fails" checks. */
  otherKeyUri: string;
}

export function kmsInteropSuite(options: KmsSuiteOptions): void {
  const registrySkip = peerMissing('docker-registry', dockerRegistryInstalled());
  describe(`${options.provider} keys with sigil and the real cosign`, {
    skip: options.skip || registrySkip,
  }, () => {
    let server: KmsServer;
    let registry: PeerRegistry;
    let dir: string;
    const client = new RegistryClient({});
    const run = (args: string[]) => sigil(args, { cwd: dir, env: server.env });
    const image = (repo: string) => `${registry.address}/${repo}:v1`;
    const push = (repo: string) =>
      pushTestImage(client, parseReference(image(repo)), {
        files: { 'f.txt': `${options.provider} ${repo}` },
      });

    before(async () => {
      dir = await workDir();
      server = await options.start();
      registry = await startDockerRegistry();
      ok(
        await run(['generate-key-pair', '--kms', options.keyUri, '--output-key-prefix', 'kms']),
        'generate-key-pair',
      );
      ok(
        await run(['generate-key-pair', '--kms', options.otherKeyUri, '--output-key-prefix', 'other']),
        'other key',
      );
    });
    after(async () => {
      await registry?.close();
      await server?.stop();
    });

    it('generate-key-pair --kms keeps an existing key; public-key prints the KMS key cosign.pub holds', async () => {
      const first = await readFile(join(dir, 'kms.pub'), 'utf8');
      ok(await run(['generate-key-pair', '--kms', options.keyUri, '--output-key-prefix', 'again']), 'again');
      assert.equal(await readFile(join(dir, 'again.pub'), 'utf8'), first);
      assert.equal(ok(await run(['public-key', '--key', options.keyUri]), 'public-key').stdout, first);
      assert.notEqual(await readFile(join(dir, 'other.pub'), 'utf8'), first);
    });

    it('sigil signs an image; sigil verifies with the URI and with the public key; another key fails', async () => {
      await push('by-sigil');
      ok(
        await run(['sign', '--key', options.keyUri, '--tlog-upload=false', image('by-sigil')]),
        'sigil sign',
      );
      for (const key of [options.keyUri, 'kms.pub']) {
        ok(await run(['verify', '--key', key, '--insecure-ignore-tlog', image('by-sigil')]), `verify ${key}`);
      }
      for (const key of [options.otherKeyUri, 'other.pub']) {
        assert.equal(
          (await run(['verify', '--key', key, '--insecure-ignore-tlog', image('by-sigil')])).code,
          1,
        );
      }
    });

    for (const peer of cosignPeers()) {
      describe(peer.name, { skip: peer.skip }, () => {
        const cosign = (args: string[]) => runCosign(peer, args, { cwd: dir, env: server.env });

        it(`${peer.name} verifies sigil's KMS signature with the same URI and with the public key`, async () => {
          const repo = `sigil-for-${peer.name}`;
          await push(repo);
          ok(await run(['sign', '--key', options.keyUri, '--tlog-upload=false', image(repo)]), 'sigil sign');
          for (const key of [options.keyUri, 'kms.pub']) {
            ok(
              await cosign(['verify', '--key', key, '--insecure-ignore-tlog', image(repo)]),
              `cosign verify ${key}`,
            );
          }
          assert.notEqual(
            (await cosign(['verify', '--key', 'other.pub', '--insecure-ignore-tlog', image(repo)])).code,
            0,
          );
        });

        it(`sigil verifies ${peer.name}'s signature made with the same URI`, async () => {
          const repo = `${peer.name}-signed`;
          await push(repo);
          ok(
            await cosign([
              'sign',
              '--key',
              options.keyUri,
              ...keySigningFlags(peer.major),
              '--yes',
              image(repo),
            ]),
            'cosign sign',
          );
          for (const key of [options.keyUri, 'kms.pub']) {
            ok(
              await run(['verify', '--key', key, '--insecure-ignore-tlog', image(repo)]),
              `sigil verify ${key}`,
            );
          }
          assert.equal(
            (await run(['verify', '--key', 'other.pub', '--insecure-ignore-tlog', image(repo)])).code,
            1,
          );
        });

        it(`blobs both ways with ${peer.name} (sign-blob / verify-blob)`, async () => {
          const blob = join(dir, 'blob.txt');
          await writeFile(blob, `${options.provider} blob\n`);
          const ours = ok(
            await run(['sign-blob', '--key', options.keyUri, '--tlog-upload=false', blob]),
            'sign-blob',
          );
          await writeFile(join(dir, 'ours.sig'), ours.stdout);
          ok(
            await cosign([
              'verify-blob',
              '--key',
              options.keyUri,
              '--insecure-ignore-tlog',
              '--signature',
              'ours.sig',
              blob,
            ]),
            'cosign verify-blob',
          );
          const legacy = peer.major === 3 ? ['--new-bundle-format=false'] : [];
          const theirs = ok(
            await cosign([
              'sign-blob',
              '--key',
              options.keyUri,
              ...keySigningFlags(peer.major),
              ...legacy,
              '--yes',
              blob,
            ]),
            'cosign sign-blob',
          );
          await writeFile(join(dir, 'theirs.sig'), theirs.stdout.trim());
          ok(
            await run([
              'verify-blob',
              '--key',
              'kms.pub',
              '--insecure-ignore-tlog',
              '--signature',
              'theirs.sig',
              blob,
            ]),
            'sigil verify-blob',
          );
        });
      });
    }

    const cosignV3 = cosignPeers().find((peer) => peer.major === 3);
    it('sigil attests with the KMS key; cosign v3 verify-attestation accepts it', {
      skip: cosignV3?.skip,
    }, async () => {
      const peer = cosignV3;
      assert.ok(peer);
      await push('attested');
      const predicate = join(dir, 'predicate.json');
      await writeFile(predicate, JSON.stringify({ reviewed: true }));
      ok(
        await run([
          'attest',
          '--key',
          options.keyUri,
          '--type',
          'custom',
          '--predicate',
          predicate,
          '--tlog-upload=false',
          image('attested'),
        ]),
        'sigil attest',
      );
      ok(
        await runCosign(
          peer,
          [
            'verify-attestation',
            '--key',
            options.keyUri,
            '--type',
            'custom',
            '--insecure-ignore-tlog',
            image('attested'),
          ],
          {
            cwd: dir,
            env: server.env,
          },
        ),
        'cosign verify-attestation',
      );
      ok(
        await run([
          'verify-attestation',
          '--key',
          'kms.pub',
          '--type',
          'custom',
          '--insecure-ignore-tlog',
          image('attested'),
        ]),
        'sigil verify-attestation',
      );
    });
  });
}
