/**
 * The zero-compile install: the packed npm package, installed with --omit=optional under a PATH with no
 * compiler, signs and verifies (key and keyless, images, attestations, blobs) and applies policies
 * against a private stack run from this clone; the servers, which need SQLite, say so in one line.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { formatReference, parseReference, pushTestImage, RegistryClient } from '../../src/oci/index.js';
import { type RunningStack, startStack } from '../../src/server/index.js';
import { type CliResult, runProcess } from '../helpers/cli.js';
import {
  COMPILER_TOOLS,
  compilerlessEnv,
  compilerlessPath,
  installClient,
  nativeModulesIn,
  packSigil,
  which,
} from '../helpers/client-install.js';

const IDENTITY = 'https://github.com/org/app/.github/workflows/release.yml@refs/heads/main';

describe('client-only install (npm pack, --omit=optional, no compiler on PATH)', () => {
  let root: string;
  let path: string;
  let bin: string;
  let work: string;
  let stack: RunningStack;
  let image: string;
  let keyedImage: string;

  const sigil = (args: string[], env: Record<string, string> = {}): Promise<CliResult> =>
    runProcess(bin, args, {
      cwd: work,
      env: compilerlessEnv(path, { HOME: work, COSIGN_PASSWORD: '', ...env }),
    });
  const ok = (result: CliResult, what: string) => assert.equal(result.code, 0, `${what}: ${result.stderr}`);

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'sigil-install-'));
    path = compilerlessPath(join(root, 'bin'));
    bin = await installClient(await packSigil(join(root, 'pack')), join(root, 'client'), path);
    work = join(root, 'work');
    stack = await startStack({ dataDir: join(work, '.sigil'), host: '127.0.0.1' });
    const push = async (repo: string) => {
      const reference = parseReference(`${stack.registryAddress}/org/${repo}:v1`);
      const digest = await pushTestImage(new RegistryClient({}), reference, { files: { [repo]: repo } });
      return formatReference({ ...reference, tag: undefined, digest });
    };
    image = await push('app');
    keyedImage = await push('keyed');
  });
  after(async () => {
    await stack?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('installed nothing that needs a compiler, and had none to use', () => {
    for (const tool of COMPILER_TOOLS) assert.equal(which(tool, path), undefined, `${tool} is on the PATH`);
    assert.deepEqual(nativeModulesIn(join(root, 'client')), []);
  });

  it('signs, attests and verifies an image keyless', async () => {
    const token = await stack.mintToken({ kind: 'github-actions', repository: 'org/app' });
    const identity = [
      '--certificate-identity',
      IDENTITY,
      '--certificate-oidc-issuer',
      stack.issuers['github-actions'],
    ];
    writeFileSync(join(work, 'sbom.json'), '{"bomFormat":"CycloneDX","specVersion":"1.5","components":[]}');
    ok(await sigil(['sign', '--yes', image], { SIGSTORE_ID_TOKEN: token }), 'sign');
    ok(
      await sigil(['attest', '--yes', '--type', 'cyclonedx', '--predicate', 'sbom.json', image], {
        SIGSTORE_ID_TOKEN: token,
      }),
      'attest',
    );
    ok(await sigil(['verify', ...identity, image]), 'verify');
    ok(await sigil(['verify-attestation', '--type', 'cyclonedx', ...identity, image]), 'verify-attestation');
  });

  it('signs, attests and verifies an image with a key, and applies a Kyverno policy', async () => {
    ok(await sigil(['generate-key-pair']), 'generate-key-pair');
    ok(await sigil(['sign', '--yes', '--key', 'cosign.key', keyedImage]), 'sign --key');
    ok(
      await sigil([
        'attest',
        '--yes',
        '--key',
        'cosign.key',
        '--predicate',
        'sbom.json',
        '--type',
        'cyclonedx',
        keyedImage,
      ]),
      'attest --key',
    );
    ok(await sigil(['verify', '--key', 'cosign.pub', keyedImage]), 'verify --key');
    ok(
      await sigil(['verify-attestation', '--key', 'cosign.pub', '--type', 'cyclonedx', keyedImage]),
      'verify-attestation --key',
    );
    const key = readFileSync(join(work, 'cosign.pub'), 'utf8').trim().replaceAll('\n', '\n            ');
    writeFileSync(
      join(work, 'policy.yaml'),
      `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: signed-images}
spec:
  validationFailureAction: Enforce
  rules:
    - name: signed
      match: {any: [{resources: {kinds: [Pod]}}]}
      verifyImages:
        - imageReferences: ["${stack.registryAddress}/org/*"]
          attestors:
            - entries:
                - keys:
                    publicKeys: |-
                      ${key.replaceAll('\n            ', '\n                      ')}
                    rekor: {ignoreTlog: true}
`,
    );
    const pod = (name: string, ref: string) =>
      `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}, namespace: apps}\nspec:\n  containers: [{name: c, image: "${ref}"}]\n`;
    writeFileSync(join(work, 'pods.yaml'), `${pod('keyed', keyedImage)}---\n${pod('keyless', image)}`);
    const applied = await sigil([
      'policy',
      'apply',
      '--policy',
      'policy.yaml',
      '--resource',
      'pods.yaml',
      '-o',
      'json',
    ]);
    assert.equal(applied.code, 1, 'the keyless-only image fails the key policy');
    assert.deepEqual(JSON.parse(applied.stdout).summary, { pass: 1, fail: 1, warn: 0, error: 0, skip: 0 });
  });

  it('signs and verifies a blob, keyless and with a key', async () => {
    writeFileSync(join(work, 'artifact.txt'), 'release artifact\n');
    const token = await stack.mintToken({ kind: 'github-actions', repository: 'org/app' });
    ok(
      await sigil(['sign-blob', '--yes', '--bundle', 'keyless.bundle', 'artifact.txt'], {
        SIGSTORE_ID_TOKEN: token,
      }),
      'sign-blob keyless',
    );
    ok(
      await sigil([
        'verify-blob',
        '--bundle',
        'keyless.bundle',
        '--certificate-identity',
        IDENTITY,
        '--certificate-oidc-issuer',
        stack.issuers['github-actions'],
        'artifact.txt',
      ]),
      'verify-blob keyless',
    );
    ok(
      await sigil(['sign-blob', '--yes', '--key', 'cosign.key', '--bundle', 'keyed.bundle', 'artifact.txt']),
      'sign-blob --key',
    );
    ok(
      await sigil(['verify-blob', '--key', 'cosign.pub', '--bundle', 'keyed.bundle', 'artifact.txt']),
      'verify-blob --key',
    );
  });

  it('names the missing module and the command when a server or a PKCS#11 key needs it', async () => {
    const needsSqlite =
      /^Error: sigil (tlog )?serve: the embedded log store \(SQLite\) needs the optional module better-sqlite3, which is not installed$/m;
    for (const args of [
      ['serve', '--host', '127.0.0.1'],
      ['tlog', 'serve', '--addr', '127.0.0.1:0'],
    ]) {
      const served = await sigil([...args, '--data-dir', join(root, 'server-data')]);
      assert.equal(served.code, 1, `${args.join(' ')} started`);
      assert.match(served.stderr, needsSqlite);
    }
    const hsm = await sigil([
      'sign',
      '--tlog-upload=false',
      '--key',
      'pkcs11:token=t;object=k?module-path=/nowhere/libsofthsm2.so&pin-value=1234',
      keyedImage,
    ]);
    assert.equal(hsm.code, 1);
    assert.match(
      hsm.stderr,
      /^Error: sigil sign: a PKCS#11 token \(pkcs11: key\) needs the optional module pkcs11js, which is not installed$/m,
    );
  });
});
