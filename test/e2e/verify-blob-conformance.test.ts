/**
 * `sigil verify-blob` on the sigstore-conformance suite's public bundles, for the disagreements the suite
 * found (each a regression test that needs no peer): the sha256: digest in place of the file, --key with a
 * trusted root's logs, Rekor v2's hashedrekord over DSSE, DSSE subjects checked against the file, and a
 * trusted root whose log key has no validity start.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { errorLine, sigil, workDir } from '../helpers/cli.js';
import { FIXTURES } from '../helpers/fixtures.js';

const CASES = join(FIXTURES, 'sigstore-conformance', 'test', 'assets', 'bundle-verify');
const PUBLIC_GOOD_ROOT = join(FIXTURES, 'cosign', 'trusted_root_pgi.json');
const ARTIFACT = join(CASES, 'a.txt');
const IDENTITY = [
  '--certificate-identity',
  'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main',
  '--certificate-oidc-issuer',
  'https://token.actions.githubusercontent.com',
];

function digestOf(path: string): string {
  return `sha256:${createHash('sha256').update(readFileSync(path)).digest('hex')}`;
}

function bundle(name: string): string {
  return join(CASES, name, 'bundle.sigstore.json');
}

describe('verify-blob: conformance regressions', () => {
  let dir: string;
  let otherFile: string;
  before(async () => {
    dir = await workDir();
    otherFile = join(dir, 'other.txt');
    writeFileSync(otherFile, 'not the signed artifact\n');
  });

  describe('a sha256: digest in place of the file', () => {
    it('verifies a keyless message signature from its digest', async () => {
      const args = ['verify-blob', '--bundle', bundle('happy-path-v0.3'), ...IDENTITY];
      const result = await sigil([...args, '--trusted-root', PUBLIC_GOOD_ROOT, digestOf(ARTIFACT)]);
      assert.equal(result.code, 0, result.stderr);
    });

    it("refuses another file's digest", async () => {
      const args = ['verify-blob', '--bundle', bundle('happy-path-v0.3'), ...IDENTITY];
      const result = await sigil([...args, '--trusted-root', PUBLIC_GOOD_ROOT, digestOf(otherFile)]);
      assert.equal(result.code, 1);
      assert.match(errorLine(result), /message digest does not match/);
    });

    it('refuses a signature that is not over the digest (tampered signature)', async () => {
      const args = ['verify-blob', '--bundle', bundle('signature-mismatch_fail'), ...IDENTITY];
      const result = await sigil([...args, '--trusted-root', PUBLIC_GOOD_ROOT, digestOf(ARTIFACT)]);
      assert.equal(result.code, 1);
    });

    it('reads a file named like a digest as the file', async () => {
      const named = join(dir, digestOf(otherFile));
      writeFileSync(named, readFileSync(ARTIFACT));
      const args = ['verify-blob', '--bundle', bundle('happy-path-v0.3'), ...IDENTITY];
      const result = await sigil([...args, '--trusted-root', PUBLIC_GOOD_ROOT, digestOf(otherFile)], {
        cwd: dir,
      });
      assert.equal(result.code, 0, result.stderr);
    });
  });

  describe('--key with a trusted root', () => {
    const keyArgs = ['verify-blob', '--bundle', bundle('managed-key-happy-path')];
    const key = join(CASES, 'managed-key-happy-path', 'key.pub');

    it("checks the bundle's log entry against the trusted root's logs", async () => {
      const result = await sigil([...keyArgs, '--key', key, '--trusted-root', PUBLIC_GOOD_ROOT, ARTIFACT]);
      assert.equal(result.code, 0, result.stderr);
    });

    it('refuses the entry when the trusted root does not list its log', async () => {
      const root = JSON.parse(readFileSync(PUBLIC_GOOD_ROOT, 'utf8'));
      root.tlogs = [];
      const emptyRoot = join(dir, 'no-logs.json');
      writeFileSync(emptyRoot, JSON.stringify(root));
      const result = await sigil([...keyArgs, '--key', key, '--trusted-root', emptyRoot, ARTIFACT]);
      assert.equal(result.code, 1);
    });

    it('refuses another key', async () => {
      const other = join(CASES, 'managed-key-wrong-key_fail', 'key.pub');
      const result = await sigil([...keyArgs, '--key', other, '--trusted-root', PUBLIC_GOOD_ROOT, ARTIFACT]);
      assert.equal(result.code, 1);
    });
  });

  describe('DSSE bundles verified for a file', () => {
    const root = ['--trusted-root', PUBLIC_GOOD_ROOT];

    it("accepts the file the statement's subject names", async () => {
      const args = ['verify-blob', '--bundle', bundle('happy-path-intoto-in-dsse-v3'), ...IDENTITY];
      assert.equal((await sigil([...args, ...root, ARTIFACT])).code, 0);
    });

    it('refuses a file the statement is not about (it used to pass)', async () => {
      const args = ['verify-blob', '--bundle', bundle('happy-path-intoto-in-dsse-v3'), ...IDENTITY];
      const result = await sigil([...args, ...root, otherFile]);
      assert.equal(result.code, 1);
      assert.match(errorLine(result), /statement is about sha256:[0-9a-f]{64}, not the file/);
    });

    it('accepts a Rekor v2 hashedrekord 0.0.2 entry over the envelope (rekor-v2 spec encoding)', async () => {
      const name = 'rekor2-dsse-happy-path';
      const args = ['verify-blob', '--bundle', bundle(name), ...IDENTITY];
      const result = await sigil([
        ...args,
        '--trusted-root',
        join(CASES, name, 'trusted_root.json'),
        ARTIFACT,
      ]);
      assert.equal(result.code, 0, result.stderr);
    });

    it('refuses that entry when it logs another envelope', async () => {
      const name = 'rekor2-dsse-mismatch-envelope_fail';
      const args = ['verify-blob', '--bundle', bundle(name), ...IDENTITY];
      const result = await sigil([
        ...args,
        '--trusted-root',
        join(CASES, name, 'trusted_root.json'),
        ARTIFACT,
      ]);
      assert.equal(result.code, 1);
    });
  });

  it('refuses a trusted root whose log key has no validity start', async () => {
    const name = 'trust-root-tlog-missing-validity-start_fail';
    const args = ['verify-blob', '--bundle', bundle(name), ...IDENTITY];
    const result = await sigil([...args, '--trusted-root', join(CASES, name, 'trusted_root.json'), ARTIFACT]);
    assert.equal(result.code, 1);
    assert.match(errorLine(result), /tlogs\[\d+\] .* has no publicKey\.validFor\.start/);
  });
});
