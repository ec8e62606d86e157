/**
 * Keys and blobs between sigil and the real cosign v2 and v3, both ways: encrypted key files made by one
 * and used by the other (generate-key-pair, import-key-pair, public-key), sign-blob / verify-blob with
 * .sig files, cosign's legacy bundle and the Sigstore bundle, with and without sigil's transparency log,
 * attest-blob / verify-blob-attestation, and a blob signed with a certificate from a throw-away CA.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type CliResult, errorLine, sigil, workDir } from '../helpers/cli.js';
import {
  COSIGN_TEST_PASSWORD,
  type CosignPeer,
  cosignPeers,
  cosignTrustedRoot,
  keySigningFlags,
  logVerifyFlags,
  runCosign,
} from '../helpers/cosign.js';
import { startTlogProcess, type TlogProcess } from '../helpers/tlog-process.js';

const PREDICATE_TYPE = 'https://example.com/interop/v1';

function ok(result: CliResult, what: string): CliResult {
  assert.equal(result.code, 0, `${what} failed:\n${result.stderr}`);
  return result;
}

for (const peer of cosignPeers()) {
  describe(`keys and blobs with ${peer.name}`, { skip: peer.skip }, () => {
    let dir: string;
    let log: TlogProcess;
    let logKey: string;
    let trustedRoot: string;
    const run = (...args: string[]) =>
      sigil(args, { cwd: dir, env: { COSIGN_PASSWORD: COSIGN_TEST_PASSWORD } });
    const cosign = (...args: string[]) => runCosign(peer, args, { cwd: dir });
    const file = (name: string) => join(dir, name);
    const read = (name: string) => readFileSync(file(name), 'utf8');

    before(async () => {
      dir = await workDir();
      log = await startTlogProcess(join(dir, 'tlog'), ['--verify-workers', '0']);
      logKey = join(dir, 'tlog', 'log-key.pem.pub');
      trustedRoot = await cosignTrustedRoot(peer, dir, { url: log.url, publicKeyFile: logKey });
      writeFileSync(file('artifact.txt'), `an artifact for ${peer.name}\n`);
      writeFileSync(file('other.txt'), 'another artifact\n');
      writeFileSync(file('predicate.json'), '{"builder":"interop"}');
      ok(await cosign('generate-key-pair', '--output-key-prefix', 'cosign'), 'cosign generate-key-pair');
      ok(await run('generate-key-pair', '--output-key-prefix', 'sigil'), 'sigil generate-key-pair');
    });
    after(() => log?.stop());

    describe('keys', () => {
      it("sigil reads cosign's encrypted key, and cosign reads sigil's (public-key)", async () => {
        assert.equal(
          ok(await run('public-key', '--key', 'cosign.key'), 'sigil public-key').stdout,
          read('cosign.pub'),
        );
        assert.equal(
          ok(await cosign('public-key', '--key', 'sigil.key'), 'cosign public-key').stdout,
          read('sigil.pub'),
        );
        assert.match(read('sigil.key'), /^-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n/);
      });

      it('refuses a wrong password on a cosign key with one error line', async () => {
        const wrong = await sigil(['public-key', '--key', 'cosign.key'], {
          cwd: dir,
          env: { COSIGN_PASSWORD: 'not-the-password' },
        });
        assert.notEqual(wrong.code, 0);
        assert.match(errorLine(wrong), /cosign\.key/);
      });

      for (const [name, options] of [
        ['ec', { type: 'ec', namedCurve: 'prime256v1' }],
        ['rsa', { type: 'rsa', modulusLength: 2048 }],
      ] as const) {
        it(`imports the same ${name} PEM key as cosign does (import-key-pair), each usable by the other`, async () => {
          const { privateKey } =
            options.type === 'ec'
              ? generateKeyPairSync('ec', { namedCurve: options.namedCurve })
              : generateKeyPairSync('rsa', { modulusLength: options.modulusLength });
          writeFileSync(file(`${name}.pem`), privateKey.export({ format: 'pem', type: 'pkcs8' }));
          ok(await run('import-key-pair', '--key', `${name}.pem`, '-o', `sigil-${name}`), 'sigil import');
          ok(
            await cosign('import-key-pair', '--key', `${name}.pem`, '-o', `cosign-${name}`),
            'cosign import',
          );
          assert.equal(read(`sigil-${name}.pub`), read(`cosign-${name}.pub`));
          assert.equal(
            ok(await cosign('public-key', '--key', `sigil-${name}.key`), 'cosign public-key').stdout,
            read(`cosign-${name}.pub`),
          );
          assert.equal(
            ok(await run('public-key', '--key', `cosign-${name}.key`), 'sigil public-key').stdout,
            read(`sigil-${name}.pub`),
          );
          // Each signs with the key file the other wrote.
          ok(
            await run(
              'sign-blob',
              '--key',
              `cosign-${name}.key`,
              '--tlog-upload=false',
              '--output-signature',
              `${name}.sig`,
              'artifact.txt',
            ),
            'sigil sign-blob',
          );
          ok(
            await cosign(
              'verify-blob',
              '--key',
              `sigil-${name}.pub`,
              '--signature',
              `${name}.sig`,
              '--insecure-ignore-tlog',
              'artifact.txt',
            ),
            'cosign verify-blob',
          );
        });
      }
    });

    describe('sign-blob / verify-blob', () => {
      // cosign signs artifact.txt with cosign.key, sigil with sigil.key; each verifies with the other's key.
      const cosignSigns = async (args: string[], rekorUrl?: string) =>
        ok(
          await cosign(
            'sign-blob',
            '--key',
            'cosign.key',
            ...keySigningFlags(peer.major, rekorUrl),
            '--yes',
            ...args,
            'artifact.txt',
          ),
          'cosign sign-blob',
        );
      const sigilSigns = async (args: string[]) =>
        ok(await run('sign-blob', '--key', 'sigil.key', ...args, 'artifact.txt'), 'sigil sign-blob');
      const sigilVerifies = (args: string[], signed = 'artifact.txt', key = 'cosign.pub') =>
        run('verify-blob', '--key', key, ...args, signed);
      const cosignVerifies = (
        args: string[],
        signed = 'artifact.txt',
        extraEnv: Record<string, string> = {},
      ) =>
        runCosign(peer, ['verify-blob', '--key', 'sigil.pub', ...args, signed], { cwd: dir, env: extraEnv });
      const unlogged = ['--insecure-ignore-tlog'];

      it('.sig files: cosign signs, sigil verifies; sigil signs, cosign verifies; other files fail', async () => {
        await cosignSigns([...legacyOutput(peer), '--output-signature', 'by-cosign.sig']);
        ok(await sigilVerifies(['--signature', 'by-cosign.sig', ...unlogged]), 'sigil verify-blob');
        assert.equal(
          (await sigilVerifies(['--signature', 'by-cosign.sig', ...unlogged], 'other.txt')).code,
          1,
        );
        await sigilSigns(['--tlog-upload=false', '--output-signature', 'by-sigil.sig']);
        ok(await cosignVerifies(['--signature', 'by-sigil.sig', ...unlogged]), 'cosign verify-blob');
        assert.notEqual(
          (await cosignVerifies(['--signature', 'by-sigil.sig', ...unlogged], 'other.txt')).code,
          0,
        );
      });

      it("cosign's legacy bundle (--bundle without the new format), both ways", async () => {
        await cosignSigns([...legacyOutput(peer), '--bundle', 'by-cosign.bundle']);
        ok(await sigilVerifies(['--bundle', 'by-cosign.bundle', ...unlogged]), 'sigil verify-blob');
        await sigilSigns(['--tlog-upload=false', '--new-bundle-format=false', '--bundle', 'by-sigil.bundle']);
        // cosign v2 reads a `cert` in this bundle as X.509: a key-signed bundle has none (regression).
        assert.deepEqual(Object.keys(JSON.parse(read('by-sigil.bundle'))), ['base64Signature']);
        ok(
          await cosignVerifies(['--bundle', 'by-sigil.bundle', ...unlogged, ...legacyOutput(peer)]),
          'cosign verify-blob',
        );
      });

      it('Sigstore bundles (--new-bundle-format), both ways', async () => {
        await cosignSigns(['--new-bundle-format', '--bundle', 'by-cosign.sigstore.json']);
        ok(await sigilVerifies(['--bundle', 'by-cosign.sigstore.json', ...unlogged]), 'sigil verify-blob');
        await sigilSigns(['--tlog-upload=false', '--bundle', 'by-sigil.sigstore.json']);
        // cosign v2 verifies Sigstore bundles only with a trusted root from TUF, out of reach here.
        if (peer.major === 3) {
          ok(await cosignVerifies(['--bundle', 'by-sigil.sigstore.json', ...unlogged]), 'cosign verify-blob');
        }
      });

      it("with sigil's transparency log: cosign logs, sigil checks the entry; sigil logs, cosign checks it", async () => {
        const logged = { SIGSTORE_REKOR_PUBLIC_KEY: logKey };
        const sigilVerifiesLogged = (signed: string, key: string) =>
          sigil(['verify-blob', '--key', key, '--bundle', 'logged-by-cosign.bundle', signed], {
            cwd: dir,
            env: logged,
          });
        await cosignSigns([...legacyOutput(peer), '--bundle', 'logged-by-cosign.bundle'], log.url);
        ok(await sigilVerifiesLogged('artifact.txt', 'cosign.pub'), 'sigil verify-blob');
        // The log entry is checked, not skipped: the bundle over another file or by another key fails.
        assert.equal((await sigilVerifiesLogged('other.txt', 'cosign.pub')).code, 1);
        assert.equal((await sigilVerifiesLogged('artifact.txt', 'sigil.pub')).code, 1);
        await cosignSigns(['--new-bundle-format', '--bundle', 'logged-by-cosign.sigstore.json'], log.url);
        ok(
          await sigilVerifies(['--bundle', 'logged-by-cosign.sigstore.json', '--trusted-root', trustedRoot]),
          'sigil verify-blob --trusted-root',
        );

        await sigilSigns(['--rekor-url', log.url, '--bundle', 'logged-by-sigil.sigstore.json']);
        await sigilSigns([
          '--rekor-url',
          log.url,
          '--new-bundle-format=false',
          '--bundle',
          'logged-by-sigil.bundle',
        ]);
        if (peer.major === 3) {
          ok(
            await cosignVerifies([
              '--bundle',
              'logged-by-sigil.sigstore.json',
              '--trusted-root',
              trustedRoot,
            ]),
            'cosign verify-blob',
          );
        } else {
          ok(
            await cosignVerifies(['--bundle', 'logged-by-sigil.bundle'], 'artifact.txt', logged),
            'cosign verify-blob',
          );
        }
      });
    });

    describe('attest-blob / verify-blob-attestation', () => {
      // verify-blob-attestation's arguments for a statement of PREDICATE_TYPE about artifact.txt.
      const checkArgs = (key: string, ...input: string[]) => [
        'verify-blob-attestation',
        '--key',
        key,
        '--type',
        PREDICATE_TYPE,
        ...input,
        'artifact.txt',
      ];
      const attestArgs = (key: string, ...output: string[]) => [
        'attest-blob',
        '--key',
        key,
        '--predicate',
        'predicate.json',
        '--type',
        PREDICATE_TYPE,
        ...output,
        'artifact.txt',
      ];
      const unlogged = '--insecure-ignore-tlog';

      it("cosign attests, sigil verifies: its Sigstore bundle, and v2's envelope and legacy bundle", async () => {
        const attest = (...output: string[]) =>
          cosign(...attestArgs('cosign.key', ...keySigningFlags(peer.major), '--yes', ...output));
        const verify = (...input: string[]) => run(...checkArgs('cosign.pub', unlogged, ...input));
        ok(await attest('--new-bundle-format', '--bundle', 'att.sigstore.json'), 'cosign attest-blob');
        ok(await verify('--bundle', 'att.sigstore.json'), 'sigil verify-blob-attestation');
        const wrongType = await run(
          ...checkArgs('cosign.pub', unlogged, '--bundle', 'att.sigstore.json').map((arg) =>
            arg === PREDICATE_TYPE ? 'https://example.com/other' : arg,
          ),
        );
        assert.equal(wrongType.code, 1);
        if (peer.major === 2) {
          ok(await attest('--output-signature', 'att.envelope.json'), 'cosign attest-blob');
          ok(await verify('--signature', 'att.envelope.json'), 'sigil verify-blob-attestation --signature');
          ok(await attest('--bundle', 'att.bundle'), 'cosign attest-blob (legacy bundle)');
          ok(await verify('--bundle', 'att.bundle'), 'sigil verify-blob-attestation (legacy bundle)');
          const otherKey = await run(...checkArgs('sigil.pub', unlogged, '--bundle', 'att.bundle'));
          assert.equal(otherKey.code, 1);
        }
      });

      it('sigil attests, cosign verifies the Sigstore bundle (DSSE without a keyid)', async () => {
        ok(
          await run(...attestArgs('sigil.key', '--tlog-upload=false', '--bundle', 'sigil-att.sigstore.json')),
          'sigil attest-blob',
        );
        const bundle = JSON.parse(read('sigil-att.sigstore.json'));
        assert.deepEqual(Object.keys(bundle.dsseEnvelope.signatures[0]), ['sig']);
        ok(
          await run(
            ...attestArgs('sigil.key', '--rekor-url', log.url, '--bundle', 'sigil-att-logged.sigstore.json'),
          ),
          'sigil attest-blob',
        );
        // cosign v2 verifies Sigstore bundles only with a trusted root from TUF, which is out of reach here.
        if (peer.major === 3) {
          ok(
            await cosign(...checkArgs('sigil.pub', unlogged, '--bundle', 'sigil-att.sigstore.json')),
            'cosign verify-blob-attestation',
          );
          const logged = logVerifyFlags(peer, trustedRoot);
          ok(
            await cosign(...checkArgs('sigil.pub', ...logged, '--bundle', 'sigil-att-logged.sigstore.json')),
            'cosign verify-blob-attestation (logged)',
          );
        }
      });
    });

    describe('a certificate from your own CA (verify-blob --certificate --certificate-chain)', () => {
      const identity = [
        '--certificate-identity',
        'signer@example.com',
        '--certificate-oidc-issuer-regexp',
        '.*',
      ];
      const lax = ['--insecure-ignore-tlog', '--insecure-ignore-sct'];
      before(() => throwAwayCa(dir));

      it("cosign verifies what sigil signed with the certificate's key, and sigil what cosign signed", async () => {
        ok(await cosign('import-key-pair', '--key', 'ca/leaf.key', '-o', 'leaf'), 'cosign import-key-pair');
        ok(
          await run(
            'sign-blob',
            '--key',
            'leaf.key',
            '--tlog-upload=false',
            '--output-signature',
            'leaf-by-sigil.sig',
            'artifact.txt',
          ),
          'sigil sign-blob',
        );
        const certified = (signature: string) => [
          '--certificate',
          'ca/leaf.pem',
          '--certificate-chain',
          'ca/chain.pem',
          '--signature',
          signature,
          ...identity,
          ...lax,
          'artifact.txt',
        ];
        ok(
          await cosign('verify-blob', ...certified('leaf-by-sigil.sig')),
          'cosign verify-blob --certificate',
        );
        ok(
          await cosign(
            'sign-blob',
            '--key',
            'leaf.key',
            ...keySigningFlags(peer.major),
            ...legacyOutput(peer),
            '--output-signature',
            'leaf-by-cosign.sig',
            '--yes',
            'artifact.txt',
          ),
          'cosign sign-blob',
        );
        ok(await run('verify-blob', ...certified('leaf-by-cosign.sig')), 'sigil verify-blob --certificate');
      });

      it('sigil refuses what cosign refuses: another chain, identity, file or exact issuer', async () => {
        const base = [
          'verify-blob',
          '--certificate',
          'ca/leaf.pem',
          '--signature',
          'leaf-by-cosign.sig',
          ...lax,
        ];
        const cases: [string, string[], RegExp][] = [
          [
            'a chain without the issuer',
            ['--certificate-chain', 'ca/root.pem', ...identity, 'artifact.txt'],
            /certificate chain/,
          ],
          [
            'another identity',
            [
              '--certificate-chain',
              'ca/chain.pem',
              '--certificate-identity',
              'other@example.com',
              '--certificate-oidc-issuer-regexp',
              '.*',
              'artifact.txt',
            ],
            /other@example\.com/,
          ],
          ['another file', ['--certificate-chain', 'ca/chain.pem', ...identity, 'other.txt'], /signature/],
          [
            'an exact issuer the certificate does not name',
            [
              '--certificate-chain',
              'ca/chain.pem',
              '--certificate-identity',
              'signer@example.com',
              '--certificate-oidc-issuer',
              'https://issuer.example.com',
              'artifact.txt',
            ],
            /names no OIDC issuer/,
          ],
        ];
        for (const [what, args, message] of cases) {
          const result = await run(...base, ...args);
          assert.equal(result.code, 1, `${what}: ${result.stderr}`);
          assert.match(errorLine(result), message, what);
          const byCosign = await cosign(...base, ...args);
          assert.notEqual(byCosign.code, 0, `cosign accepted ${what}`);
        }
      });
    });
  });
}

/** cosign v3 writes Sigstore bundles unless told otherwise; the .sig and legacy-bundle cases need that. */
function legacyOutput(peer: CosignPeer): string[] {
  return peer.major === 3 ? ['--new-bundle-format=false'] : [];
}

/** A root CA, an intermediate and a code-signing leaf for signer@example.com, made with openssl. */
function throwAwayCa(dir: string): void {
  const ca = join(dir, 'ca');
  execFileSync('mkdir', ['-p', ca]);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: ca, stdio: 'pipe' });
  const ext = (name: string, lines: string[]) => writeFileSync(join(ca, name), `${lines.join('\n')}\n`);
  for (const key of ['root', 'inter', 'leaf']) {
    openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${key}.key`);
  }
  ext('inter.ext', ['basicConstraints=critical,CA:TRUE,pathlen:0', 'keyUsage=critical,keyCertSign,cRLSign']);
  ext('leaf.ext', [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature',
    'extendedKeyUsage=codeSigning',
    'subjectAltName=email:signer@example.com',
  ]);
  openssl(
    'req',
    '-x509',
    '-new',
    '-key',
    'root.key',
    '-subj',
    '/CN=interop root',
    '-days',
    '2',
    '-out',
    'root.pem',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
  for (const [name, issuer] of [
    ['inter', 'root'],
    ['leaf', 'inter'],
  ] as const) {
    openssl('req', '-new', '-key', `${name}.key`, '-subj', `/CN=interop ${name}`, '-out', `${name}.csr`);
    openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${issuer}.pem`,
      '-CAkey',
      `${issuer}.key`,
      '-CAcreateserial',
      '-days',
      '1',
      '-extfile',
      `${name}.ext`,
      '-out',
      `${name}.pem`,
    );
  }
  writeFileSync(
    join(ca, 'chain.pem'),
    readFileSync(join(ca, 'inter.pem'), 'utf8') + readFileSync(join(ca, 'root.pem'), 'utf8'),
  );
}
