/**
 * Interop, keyless: @sigstore/sign built from the signing_config.json that `sigil serve` writes
 * (bundleBuilderFromSigningConfig), with a token from our dev issuer, gets its certificate from our CA
 * and its log entry from our log; the bundle verifies with @sigstore/verify given our trusted_root.json,
 * and with `sigil verify-blob`.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { bundleToJSON } from '@sigstore/bundle';
import { SigningConfig, TrustedRoot } from '@sigstore/protobuf-specs';
import { bundleBuilderFromSigningConfig } from '@sigstore/sign';
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import { type RunningStack, startStack } from '../../src/server/index.js';
import { errorLine, sigil, workDir } from '../helpers/cli.js';

describe('interop: @sigstore/sign (signing config) → sigil CA + log → @sigstore/verify and sigil', () => {
  let stack: RunningStack;
  let dir: string;

  before(async () => {
    dir = await workDir();
    stack = await startStack({ dataDir: join(dir, '.sigil'), host: '127.0.0.1' });
  });
  after(() => stack.close());

  const trustedRoot = () => TrustedRoot.fromJSON(JSON.parse(readFileSync(stack.trustedRootPath, 'utf8')));
  const builder = (bundleType: 'messageSignature' | 'dsseEnvelope', token: string) =>
    bundleBuilderFromSigningConfig({
      signingConfig: SigningConfig.fromJSON(JSON.parse(readFileSync(stack.signingConfigPath, 'utf8'))),
      identityProvider: { getToken: async () => token },
      bundleType,
    });

  it('signs a blob (Rekor v1) whose bundle verifies with @sigstore/verify and sigil verify-blob', async () => {
    const token = await stack.mintToken({ kind: 'email', email: 'release@example.com' });
    const data = Buffer.from('artifact signed by @sigstore/sign\n');
    const bundle = await builder('messageSignature', token).create({ data });
    assert.notEqual(bundle.verificationMaterial.content.$case, 'publicKey');
    const signer = new Verifier(toTrustMaterial(trustedRoot())).verify(toSignedEntity(bundle, data));
    assert.equal(signer.identity?.subjectAlternativeName, 'release@example.com');

    writeFileSync(join(dir, 'artifact.txt'), data);
    writeFileSync(join(dir, 'artifact.sigstore.json'), JSON.stringify(bundleToJSON(bundle)));
    const args = [
      'verify-blob',
      '--bundle',
      'artifact.sigstore.json',
      '--certificate-oidc-issuer',
      stack.issuers.email,
    ];
    const ok = await sigil([...args, '--certificate-identity', 'release@example.com', 'artifact.txt'], {
      cwd: dir,
    });
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stderr, /Verified OK/);
    const wrong = await sigil([...args, '--certificate-identity', 'intruder@example.com', 'artifact.txt'], {
      cwd: dir,
    });
    assert.equal(wrong.code, 1);
    assert.match(errorLine(wrong), /certificate identity rejected/);
  });

  it('signs a DSSE envelope whose bundle verifies with @sigstore/verify', async () => {
    const token = await stack.mintToken({ kind: 'github-actions', repository: 'org/app' });
    const data = Buffer.from('{"_type":"https://in-toto.io/Statement/v1"}');
    const bundle = await builder('dsseEnvelope', token).create({
      data,
      type: 'application/vnd.in-toto+json',
    });
    const signer = new Verifier(toTrustMaterial(trustedRoot())).verify(toSignedEntity(bundle));
    assert.equal(signer.identity?.extensions?.issuer, stack.issuers['github-actions']);
  });

  it('signs with Rekor v2 + the TSA: the bundle carries a signed timestamp and verifies with both verifiers', async () => {
    const v2 = await startStack({
      dataDir: join(await workDir(), '.sigil'),
      host: '127.0.0.1',
      rekorApiVersion: 2,
    });
    try {
      const config = SigningConfig.fromJSON(JSON.parse(readFileSync(v2.signingConfigPath, 'utf8')));
      assert.equal(config.rekorTlogUrls[0]?.majorApiVersion, 2);
      const token = await v2.mintToken({ kind: 'email', email: 'release@example.com' });
      const data = Buffer.from('artifact logged in a Rekor v2 log\n');
      const bundle = await bundleBuilderFromSigningConfig({
        signingConfig: config,
        identityProvider: { getToken: async () => token },
        bundleType: 'messageSignature',
      }).create({ data });
      assert.equal(bundle.verificationMaterial.timestampVerificationData?.rfc3161Timestamps.length, 1);
      const entry = bundle.verificationMaterial.tlogEntries[0];
      assert.equal(entry?.kindVersion?.version, '0.0.2');
      assert.equal(entry?.inclusionPromise, undefined);
      const root = TrustedRoot.fromJSON(JSON.parse(readFileSync(v2.trustedRootPath, 'utf8')));
      new Verifier(toTrustMaterial(root)).verify(toSignedEntity(bundle, data));

      const v2dir = join(v2.trustedRootPath, '..');
      writeFileSync(join(v2dir, 'a.txt'), data);
      writeFileSync(join(v2dir, 'a.sigstore.json'), JSON.stringify(bundleToJSON(bundle)));
      const verify = (identity: string, file = 'a.txt') =>
        sigil(
          [
            'verify-blob',
            '--bundle',
            'a.sigstore.json',
            '--trusted-root',
            v2.trustedRootPath,
            '--certificate-identity',
            identity,
            '--certificate-oidc-issuer',
            v2.issuers.email,
            file,
          ],
          { cwd: v2dir },
        );
      const ok = await verify('release@example.com');
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal((await verify('other@example.com')).code, 1);
      // Without the TSA in the trusted root the signing time is unproven: no timestamp, no verification.
      const rootJson = JSON.parse(readFileSync(v2.trustedRootPath, 'utf8'));
      rootJson.timestampAuthorities = [];
      assert.throws(() =>
        new Verifier(toTrustMaterial(TrustedRoot.fromJSON(rootJson))).verify(toSignedEntity(bundle, data)),
      );
    } finally {
      await v2.close();
    }
  });
});
