/**
 * Image signatures between sigil and the real cosign v2 and v3, both ways, on the distribution registry
 * (no referrers API: bundles go through the referrers tag schema) and on sigil's embedded registry (with
 * it): cosign's default output (v3: Sigstore bundle referrers) and the `.sig` layout, annotations, sigil's
 * transparency log, COSIGN_REPOSITORY and multi-platform images signed with --recursive. Where both
 * verify, sigil's JSON output is compared with cosign's own.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Digest } from '../../src/core/index.js';
import { parseReference, pushTestImage, pushTestIndex, RegistryClient } from '../../src/oci/index.js';
import { type CliResult, sigil, workDir } from '../helpers/cli.js';
import {
  COSIGN_TEST_PASSWORD,
  type CosignPeer,
  cosignPeers,
  cosignTrustedRoot,
  keySigningFlags,
  runCosign,
} from '../helpers/cosign.js';
import { dockerRegistryInstalled, startDockerRegistry } from '../helpers/docker-registry.js';
import { startTestRegistry } from '../helpers/embedded-registry.js';
import { peerMissing } from '../helpers/peers.js';
import { startTlogProcess, type TlogProcess } from '../helpers/tlog-process.js';

interface StartedRegistry {
  address: string;
  close(): Promise<void>;
}

function ok(result: CliResult, what: string): CliResult {
  assert.equal(result.code, 0, `${what} failed:\n${result.stderr}`);
  return result;
}

const registries: [string, () => Promise<StartedRegistry>, string | false][] = [
  [
    'the distribution registry',
    startDockerRegistry,
    peerMissing('docker-registry', dockerRegistryInstalled()),
  ],
  ["sigil's embedded registry", startTestRegistry, false],
];
const peers = cosignPeers();

for (const [registryName, start, registrySkip] of registries) {
  describe(`image signatures with cosign on ${registryName}`, { skip: registrySkip }, () => {
    let registry: StartedRegistry;
    let dir: string;
    let log: TlogProcess;
    let logKey: string;
    const client = new RegistryClient({});
    const image = (repo: string, suffix = ':v1') => `${registry.address}/${repo}${suffix}`;
    const push = (repo: string): Promise<Digest> =>
      pushTestImage(client, parseReference(image(repo)), { files: { 'f.txt': `${registryName} ${repo}` } });
    const run = (args: string[], env: Record<string, string> = {}) =>
      sigil(args, { cwd: dir, env: { COSIGN_PASSWORD: COSIGN_TEST_PASSWORD, ...env } });
    const cosign = (peer: CosignPeer, args: string[], env: Record<string, string> = {}) =>
      runCosign(peer, args, { cwd: dir, env });

    before(async () => {
      registry = await start();
      dir = await workDir();
      log = await startTlogProcess(join(dir, 'tlog'), ['--verify-workers', '0']);
      logKey = join(dir, 'tlog', 'log-key.pem.pub');
      ok(await run(['generate-key-pair', '--output-key-prefix', 'sigil']), 'sigil generate-key-pair');
    });
    after(async () => {
      await log?.stop();
      await registry?.close();
    });

    for (const peer of peers) {
      describe(peer.name, { skip: peer.skip }, () => {
        const key = `${peer.name}`;
        let trustedRoot: string;
        before(async () => {
          ok(
            await cosign(peer, ['generate-key-pair', '--output-key-prefix', key]),
            'cosign generate-key-pair',
          );
          trustedRoot = await cosignTrustedRoot(peer, dir, { url: log.url, publicKeyFile: logKey });
        });
        const repo = (name: string) => `${peer.name}-${name}`;
        const cosignSign = (target: string, ...extra: string[]) =>
          cosign(peer, [
            'sign',
            '--key',
            `${key}.key`,
            ...keySigningFlags(peer.major),
            '--yes',
            ...extra,
            target,
          ]);
        const cosignVerify = (target: string, ...extra: string[]) =>
          cosign(peer, ['verify', '--key', 'sigil.pub', '--insecure-ignore-tlog', ...extra, target]);
        const sigilSign = (...args: string[]) =>
          run(['sign', '--key', 'sigil.key', '--tlog-upload=false', ...args]);
        const sigilVerifyOwn = (...args: string[]) =>
          run(['verify', '--key', 'sigil.pub', '--insecure-ignore-tlog', ...args]);
        const sigilVerify = (target: string, ...extra: string[]) =>
          run(['verify', '--key', `${key}.pub`, '--insecure-ignore-tlog', ...extra, target]);

        it("cosign signs with annotations (its default format), sigil verifies and prints cosign's JSON", async () => {
          await push(repo('default'));
          ok(await cosignSign(image(repo('default')), '-a', 'env=prod'), 'cosign sign');
          const verified = ok(await sigilVerify(image(repo('default')), '-a', 'env=prod'), 'sigil verify');
          const own = ok(
            await cosign(peer, [
              'verify',
              '--key',
              `${key}.pub`,
              '--insecure-ignore-tlog',
              '-a',
              'env=prod',
              image(repo('default')),
            ]),
            'cosign verify',
          );
          assert.equal(verified.stdout.trim(), own.stdout.trim());
          assert.equal((await sigilVerify(image(repo('default')), '-a', 'env=staging')).code, 1);
          assert.equal((await sigilVerifyOwn(image(repo('default')))).code, 1);
        });

        if (peer.major === 3) {
          it('cosign v3 signs in the .sig layout (--new-bundle-format=false), sigil verifies', async () => {
            await push(repo('legacy'));
            ok(
              await cosignSign(image(repo('legacy')), '--new-bundle-format=false', '-a', 'env=prod'),
              'cosign sign',
            );
            const verified = ok(
              await sigilVerify(image(repo('legacy')), '-a', 'env=prod', '--new-bundle-format=false'),
              'sigil verify',
            );
            assert.match(verified.stdout, /"type":"cosign container image signature"/);
          });

          it('sigil signs a Sigstore bundle referrer (--new-bundle-format), cosign v3 verifies it', async () => {
            await push(repo('bundle'));
            ok(await sigilSign('--new-bundle-format', '-a', 'env=prod', image(repo('bundle'))), 'sigil sign');
            const own = ok(await cosignVerify(image(repo('bundle')), '-a', 'env=prod'), 'cosign verify');
            const verified = ok(
              await sigilVerifyOwn('-a', 'env=prod', image(repo('bundle'))),
              'sigil verify',
            );
            assert.equal(verified.stdout.trim(), own.stdout.trim());
          });
        }

        it('sigil signs in the .sig layout with annotations, cosign verifies; another key fails', async () => {
          await push(repo('by-sigil'));
          ok(await sigilSign('-a', 'env=prod', image(repo('by-sigil'))), 'sigil sign');
          const own = ok(await cosignVerify(image(repo('by-sigil')), '-a', 'env=prod'), 'cosign verify');
          const verified = ok(
            await sigilVerifyOwn('-a', 'env=prod', image(repo('by-sigil'))),
            'sigil verify',
          );
          assert.equal(verified.stdout.trim(), own.stdout.trim());
          assert.notEqual((await cosignVerify(image(repo('by-sigil')), '-a', 'env=staging')).code, 0);
          const otherKey = await cosign(peer, [
            'verify',
            '--key',
            `${key}.pub`,
            '--insecure-ignore-tlog',
            image(repo('by-sigil')),
          ]);
          assert.notEqual(otherKey.code, 0);
        });

        it("with sigil's transparency log, both ways, and the same JSON (the log's Bundle) as cosign", async () => {
          await push(repo('logged'));
          ok(
            await cosign(peer, [
              'sign',
              '--key',
              `${key}.key`,
              ...keySigningFlags(peer.major, log.url),
              '--yes',
              image(repo('logged')),
            ]),
            'cosign sign',
          );
          ok(
            await run([
              'verify',
              '--key',
              `${key}.pub`,
              '--trusted-root',
              trustedRoot,
              image(repo('logged')),
            ]),
            'sigil verify --trusted-root',
          );
          ok(
            await run(['verify', '--key', `${key}.pub`, image(repo('logged'))], {
              SIGSTORE_REKOR_PUBLIC_KEY: logKey,
            }),
            'sigil verify',
          );
          // Without a trusted log key the entry cannot be checked: refused, not skipped.
          assert.equal((await run(['verify', '--key', `${key}.pub`, image(repo('logged'))])).code, 1);

          await push(repo('logged-by-sigil'));
          ok(
            await run(['sign', '--key', 'sigil.key', '--rekor-url', log.url, image(repo('logged-by-sigil'))]),
            'sigil sign',
          );
          const logged = peer.major === 3 ? ['--trusted-root', trustedRoot] : [];
          const own = ok(
            await cosign(peer, ['verify', '--key', 'sigil.pub', ...logged, image(repo('logged-by-sigil'))], {
              SIGSTORE_REKOR_PUBLIC_KEY: logKey,
            }),
            'cosign verify',
          );
          const verified = ok(
            await run(['verify', '--key', 'sigil.pub', image(repo('logged-by-sigil'))], {
              SIGSTORE_REKOR_PUBLIC_KEY: logKey,
            }),
            'sigil verify',
          );
          assert.match(verified.stdout, /"optional":\{"Bundle":\{"SignedEntryTimestamp":/);
          assert.equal(verified.stdout.trim(), own.stdout.trim());
          if (peer.major === 3) {
            await push(repo('logged-bundle'));
            ok(
              await run([
                'sign',
                '--key',
                'sigil.key',
                '--rekor-url',
                log.url,
                '--new-bundle-format',
                image(repo('logged-bundle')),
              ]),
              'sigil sign',
            );
            ok(
              await cosign(peer, [
                'verify',
                '--key',
                'sigil.pub',
                '--trusted-root',
                trustedRoot,
                image(repo('logged-bundle')),
              ]),
              'cosign verify',
            );
          }
        });

        it('COSIGN_REPOSITORY keeps the signatures in another repository, both ways', async () => {
          const signatures = { COSIGN_REPOSITORY: `${registry.address}/${repo('signatures')}` };
          await push(repo('elsewhere'));
          ok(
            await cosign(
              peer,
              [
                'sign',
                '--key',
                `${key}.key`,
                ...keySigningFlags(peer.major),
                '--yes',
                image(repo('elsewhere')),
              ],
              signatures,
            ),
            'cosign sign',
          );
          ok(
            await run(
              ['verify', '--key', `${key}.pub`, '--insecure-ignore-tlog', image(repo('elsewhere'))],
              signatures,
            ),
            'sigil verify',
          );
          assert.equal(
            (await sigilVerify(image(repo('elsewhere')))).code,
            1,
            'found without COSIGN_REPOSITORY',
          );

          await push(repo('elsewhere-by-sigil'));
          const format = peer.major === 3 ? ['--new-bundle-format'] : [];
          ok(
            await run(
              [
                'sign',
                '--key',
                'sigil.key',
                '--tlog-upload=false',
                ...format,
                image(repo('elsewhere-by-sigil')),
              ],
              signatures,
            ),
            'sigil sign',
          );
          ok(
            await cosign(
              peer,
              ['verify', '--key', 'sigil.pub', '--insecure-ignore-tlog', image(repo('elsewhere-by-sigil'))],
              signatures,
            ),
            'cosign verify',
          );
          assert.notEqual(
            (await cosignVerify(image(repo('elsewhere-by-sigil')))).code,
            0,
            'found without COSIGN_REPOSITORY',
          );
        });

        it('--recursive signs the index and every platform manifest, both ways', async () => {
          const byCosign = await pushTestIndex(client, parseReference(image(repo('multi'))), [
            'amd64',
            'arm64',
          ]);
          ok(await cosignSign(image(repo('multi')), '--recursive'), 'cosign sign --recursive');
          for (const digest of [byCosign.index, ...byCosign.children]) {
            ok(await sigilVerify(image(repo('multi'), `@${digest}`)), `sigil verify ${digest}`);
          }
          const bySigil = await pushTestIndex(client, parseReference(image(repo('multi-by-sigil'))), [
            'amd64',
            'arm64',
          ]);
          ok(await sigilSign('--recursive', image(repo('multi-by-sigil'))), 'sigil sign --recursive');
          for (const digest of [bySigil.index, ...bySigil.children]) {
            ok(await cosignVerify(image(repo('multi-by-sigil'), `@${digest}`)), `cosign verify ${digest}`);
          }
          // Without --recursive only the index is signed, as with cosign.
          const single = await pushTestIndex(client, parseReference(image(repo('multi-single'))), [
            'amd64',
            'arm64',
          ]);
          ok(await sigilSign(image(repo('multi-single'))), 'sigil sign');
          ok(await cosignVerify(image(repo('multi-single'), `@${single.index}`)), 'cosign verify index');
          assert.notEqual(
            (await cosignVerify(image(repo('multi-single'), `@${single.children[0]}`))).code,
            0,
          );
        });
      });
    }
  });
}
