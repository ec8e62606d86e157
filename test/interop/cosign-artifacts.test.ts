/**
 * cosign's artifact commands and sigil's reading each other's work, on the real distribution registry (the
 * referrers tag schema) with sigil's embedded registry (the referrers API) as a copy destination: tree,
 * triangulate and download print what cosign prints; copy, clean and attach in either tool leave what the
 * other verifies (or nothing, for clean). Signatures and attestations in both of cosign v3's forms.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseReference, pushTestImage, RegistryClient, type RunningRegistry } from '../../src/oci/index.js';
import { sigil, workDir } from '../helpers/cli.js';
import { keySigningFlags, runCosign } from '../helpers/cosign.js';
import { attestArgs, printedStatements } from '../helpers/cosign-cli.js';
import {
  dockerRegistryInstalled,
  type PeerRegistry,
  startDockerRegistry,
} from '../helpers/docker-registry.js';
import { startTestRegistry } from '../helpers/embedded-registry.js';
import { peerMissing, requirePeer } from '../helpers/peers.js';

const cosign3 = requirePeer('cosign-v3', 'cosign');
const registryMissing = peerMissing('docker-registry', dockerRegistryInstalled());

const SPDX = { spdxVersion: 'SPDX-2.3', SPDXID: 'SPDXRef-DOCUMENT', name: 'app', packages: [] };
const SCAN = { scanner: { uri: 'scanner.example.com/trivy', result: { summary: { CRITICAL: 0 } } } };
const LEGACY = '--new-bundle-format=false';

describe('artifacts: real cosign <-> sigil (tree, triangulate, download, copy, clean, attach)', {
  skip: cosign3.skip || registryMissing,
}, () => {
  let registry: PeerRegistry;
  let embedded: RunningRegistry;
  let dir: string;
  const client = new RegistryClient({});
  const run = (...args: string[]) => sigil(args, { cwd: dir, env: { COSIGN_PASSWORD: '' } });
  const cosign = (...args: string[]) => runCosign(cosign3.path, args, { cwd: dir, password: '' });
  const ok = (result: { code: number; stderr: string }, what: string) =>
    assert.equal(result.code, 0, `${what}: ${result.stderr}`);
  const push = async (repo: string, address = registry.address) => {
    const digest = await pushTestImage(client, parseReference(`${address}/${repo}:v1`), {
      files: { 'f.txt': repo },
    });
    return { image: `${address}/${repo}@${digest}`, digest };
  };

  /** Signs and attests with cosign v3 in both of its forms, and attaches an SBOM. */
  async function furnishWithCosign(image: string): Promise<void> {
    const signing = [...keySigningFlags(3), '--allow-http-registry', '-y'];
    ok(await cosign('sign', '--key', 'cosign.key', ...signing, image), 'cosign sign (bundle)');
    ok(await cosign('sign', '--key', 'cosign.key', ...signing, LEGACY, image), 'cosign sign (.sig)');
    const attest = (type: string, file: string, ...flags: string[]) =>
      cosign(...attestArgs(type, file), ...signing, ...flags, image);
    ok(await attest('spdxjson', 'sbom.spdx.json'), 'cosign attest (bundle)');
    ok(await attest('vuln', 'scan.json', LEGACY), 'cosign attest (.att)');
    ok(
      await cosign('attach', 'sbom', '--sbom', 'sbom.spdx.json', '--allow-http-registry', image),
      'attach sbom',
    );
  }

  /** The same with sigil. */
  async function furnishWithSigil(image: string): Promise<void> {
    const key = ['--key', 'cosign.key', '--tlog-upload=false'];
    ok(await run('sign', ...key, '--new-bundle-format', image), 'sigil sign (bundle)');
    ok(await run('sign', ...key, image), 'sigil sign (.sig)');
    const attest = (type: string, file: string, ...flags: string[]) =>
      run('attest', ...key, '--type', type, '--predicate', file, ...flags, image);
    ok(await attest('spdxjson', 'sbom.spdx.json', '--new-bundle-format'), 'sigil attest (bundle)');
    ok(await attest('vuln', 'scan.json'), 'sigil attest (.att)');
    ok(await run('attach', 'sbom', '--sbom', 'sbom.spdx.json', image), 'sigil attach sbom');
  }

  /** Both kinds of signature and both attestations verify in `tool` (sigil or cosign) at `image`. */
  async function assertVerifies(tool: 'sigil' | 'cosign', image: string, forms = ['.sig', 'bundle']) {
    for (const form of forms) {
      const legacy = form === 'bundle' ? [] : [LEGACY];
      const type = form === 'bundle' ? 'spdxjson' : 'vuln';
      if (tool === 'sigil') {
        const only = form === 'bundle' ? [] : ['--new-bundle-format=false'];
        ok(
          await run('verify', '--key', 'cosign.pub', '--insecure-ignore-tlog', ...only, image),
          `verify ${form}`,
        );
        const verified = await run(
          'verify-attestation',
          '--key',
          'cosign.pub',
          '--insecure-ignore-tlog',
          '--type',
          type,
          ...only,
          image,
        );
        ok(verified, `sigil verify-attestation ${type}`);
      } else {
        const flags = ['--key', 'cosign.pub', '--insecure-ignore-tlog', '--allow-http-registry', ...legacy];
        ok(await cosign('verify', ...flags, image), `cosign verify (${form})`);
        const verified = await cosign('verify-attestation', ...flags, '--type', type, image);
        ok(verified, `cosign verify-attestation ${type}`);
        assert.equal(printedStatements(verified.stdout).length, 1);
      }
    }
  }

  const sortedLines = (text: string) => text.trim().split('\n').sort();

  before(async () => {
    registry = await startDockerRegistry();
    embedded = await startTestRegistry();
    dir = await workDir();
    await writeFile(join(dir, 'sbom.spdx.json'), JSON.stringify(SPDX));
    await writeFile(join(dir, 'scan.json'), JSON.stringify(SCAN));
    ok(await cosign('generate-key-pair'), 'cosign generate-key-pair');
  });
  after(async () => {
    await embedded?.close();
    await registry?.close();
  });

  for (const maker of ['cosign', 'sigil'] as const) {
    it(`tree, triangulate and download print what cosign prints, for artifacts ${maker} wrote`, async () => {
      const { image } = await push(`shown-${maker}`);
      await (maker === 'cosign' ? furnishWithCosign(image) : furnishWithSigil(image));
      const http = '--allow-http-registry';
      const theirTree = await cosign('tree', http, image);
      ok(theirTree, 'cosign tree');
      const ourTree = await run('tree', image);
      ok(ourTree, 'sigil tree');
      // cosign lists its sections in Go map order: compare the lines, not their order.
      assert.deepEqual(sortedLines(ourTree.stdout), sortedLines(theirTree.stdout));
      assert.match(
        ourTree.stdout,
        /🔗 https:\/\/sigstore\.dev\/cosign\/sign\/v1 artifacts via OCI referrer: /,
      );
      for (const type of ['signature', 'attestation', 'sbom', 'digest']) {
        const theirs = await cosign('triangulate', '--type', type, http, image);
        ok(theirs, `cosign triangulate ${type}`);
        assert.equal((await run('triangulate', '--type', type, image)).stdout, theirs.stdout, type);
      }
      for (const what of ['signature', 'attestation', 'sbom']) {
        const theirs = await cosign('download', what, http, image);
        ok(theirs, `cosign download ${what}`);
        const ours = await run('download', what, image);
        ok(ours, `sigil download ${what}`);
        assert.deepEqual(sortedLines(ours.stdout), sortedLines(theirs.stdout), what);
      }
    });
  }

  it('sigil copy of what cosign wrote verifies in cosign at the destination (another registry)', async () => {
    const { image, digest } = await push('copied-by-sigil');
    await furnishWithCosign(image);
    const target = `${embedded.address}/copies/app`;
    ok(await run('copy', image, target), 'sigil copy');
    await assertVerifies('cosign', `${target}@${digest}`);
    const trees = [
      await cosign('tree', '--allow-http-registry', `${target}@${digest}`),
      await run('tree', `${target}@${digest}`),
    ];
    assert.deepEqual(sortedLines(trees[1]?.stdout ?? ''), sortedLines(trees[0]?.stdout ?? ''));
  });

  it('cosign copy of what sigil wrote verifies in sigil (cosign copies tags, not bundle referrers)', async () => {
    const { image, digest } = await push('copied-by-cosign');
    await furnishWithSigil(image);
    const target = `${registry.address}/copies/by-cosign`;
    ok(await cosign('copy', '--allow-http-registry', image, target), 'cosign copy');
    await assertVerifies('sigil', `${target}@${digest}`, ['.sig']);
    const tree = await run('tree', `${target}@${digest}`);
    assert.doesNotMatch(tree.stdout, /artifacts via OCI referrer/);
  });

  it('sigil clean removes everything cosign wrote, cosign clean everything sigil wrote', async () => {
    const empty = /No Supply Chain Security Related Artifacts found/;
    const fromCosign = await push('cleaned-by-sigil');
    await furnishWithCosign(fromCosign.image);
    ok(await run('clean', '--force', fromCosign.image), 'sigil clean');
    assert.match((await cosign('tree', '--allow-http-registry', fromCosign.image)).stdout, empty);
    assert.deepEqual(await client.listTags(parseReference(fromCosign.image)), ['v1']);

    const fromSigil = await push('cleaned-by-cosign');
    await furnishWithSigil(fromSigil.image);
    ok(await cosign('clean', '--force', '--allow-http-registry', fromSigil.image), 'cosign clean');
    assert.match((await run('tree', fromSigil.image)).stdout, empty);
  });

  it("attach: each tool's attached signatures and attestations verify in the other", async () => {
    const http = '--allow-http-registry';
    const signBlob = ['--key', 'cosign.key', ...keySigningFlags(3), LEGACY];
    // cosign attaches, sigil verifies: a signature over cosign's payload, an attestation bundle.
    const { image: fromCosign } = await push('attached-by-cosign');
    const payload = await cosign('generate', http, fromCosign);
    ok(payload, 'cosign generate');
    await writeFile(join(dir, 'payload.json'), payload.stdout);
    const signature = await cosign('sign-blob', ...signBlob, 'payload.json');
    ok(signature, 'cosign sign-blob');
    await writeFile(join(dir, 'payload.sig'), signature.stdout);
    ok(
      await cosign(
        'attach',
        'signature',
        '--payload',
        'payload.json',
        '--signature',
        'payload.sig',
        http,
        fromCosign,
      ),
      'cosign attach signature',
    );
    ok(
      await cosign(
        ...attestArgs('spdxjson', 'sbom.spdx.json'),
        ...keySigningFlags(3),
        '--no-upload',
        '--bundle',
        'cosign-att.json',
        http,
        '-y',
        fromCosign,
      ),
      'cosign attest --no-upload --bundle',
    );
    ok(
      await cosign('attach', 'attestation', '--attestation', 'cosign-att.json', http, fromCosign),
      'attach att',
    );
    ok(
      await run(
        'verify',
        '--key',
        'cosign.pub',
        '--insecure-ignore-tlog',
        '--new-bundle-format=false',
        fromCosign,
      ),
      'sigil verify of the attached signature',
    );
    ok(
      await run(
        'verify-attestation',
        '--key',
        'cosign.pub',
        '--insecure-ignore-tlog',
        '--type',
        'spdxjson',
        fromCosign,
      ),
      'sigil verify-attestation of the attached bundle',
    );

    // sigil attaches, cosign verifies: the same kinds, made by sigil.
    const { image: target } = await push('attached-by-sigil');
    const targetPayload = await cosign('generate', http, target);
    ok(targetPayload, 'cosign generate');
    await writeFile(join(dir, 'target.json'), targetPayload.stdout);
    const ours = await run('sign-blob', '--key', 'cosign.key', '--tlog-upload=false', 'target.json');
    ok(ours, 'sigil sign-blob');
    await writeFile(join(dir, 'target.sig'), ours.stdout);
    ok(
      await run('attach', 'signature', '--payload', 'target.json', '--signature', 'target.sig', target),
      'attach',
    );
    ok(
      await run(
        ...attestArgs('spdxjson', 'sbom.spdx.json'),
        '--tlog-upload=false',
        '--new-bundle-format',
        '--upload=false',
        '--bundle',
        'sigil-att.json',
        target,
      ),
      'sigil attest --upload=false --bundle',
    );
    ok(
      await run('attach', 'attestation', '--attestation', 'sigil-att.json', target),
      'sigil attach attestation',
    );
    ok(
      await cosign('verify', '--key', 'cosign.pub', '--insecure-ignore-tlog', http, LEGACY, target),
      'cosign verify',
    );
    const verified = await cosign(
      'verify-attestation',
      '--key',
      'cosign.pub',
      '--insecure-ignore-tlog',
      '--type',
      'spdxjson',
      http,
      target,
    );
    ok(verified, 'cosign verify-attestation of the attached bundle');
    assert.deepEqual(printedStatements(verified.stdout)[0]?.predicate, SPDX);
  });
});
