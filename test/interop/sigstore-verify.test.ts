/**
 * Interop: a key-based `sign-blob --bundle` made by sigil verifies with @sigstore/verify, the Sigstore
 * project's verifier, given only the public key; and @sigstore/verify rejects it for another artifact.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { bundleFromJSON } from '@sigstore/bundle';
import type { TrustedRoot } from '@sigstore/protobuf-specs';
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import { loadPublicKeyPem } from '../../src/crypto/index.js';
import { sigil, workDir } from '../helpers/cli.js';

const EMPTY_ROOT: TrustedRoot = {
  mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
  tlogs: [],
  certificateAuthorities: [],
  ctlogs: [],
  timestampAuthorities: [],
};

describe('interop: sigil sign-blob --bundle → @sigstore/verify', () => {
  let dir: string;
  before(async () => {
    dir = await workDir();
    const env = { COSIGN_PASSWORD: '' };
    assert.equal((await sigil(['generate-key-pair'], { cwd: dir, env })).code, 0);
    writeFileSync(join(dir, 'artifact.bin'), 'some release artifact\n');
    const signed = await sigil(
      [
        'sign-blob',
        '--key',
        'cosign.key',
        '--tlog-upload=false',
        '--bundle',
        'a.sigstore.json',
        'artifact.bin',
      ],
      { cwd: dir, env },
    );
    assert.equal(signed.code, 0, signed.stderr);
  });

  function sigstoreVerify(artifact: string, hintCheck = true): void {
    const publicKey = loadPublicKeyPem(readFileSync(join(dir, 'cosign.pub'), 'utf8'), 'cosign.pub');
    const json = JSON.parse(readFileSync(join(dir, 'a.sigstore.json'), 'utf8'));
    assert.equal(json.mediaType, 'application/vnd.dev.sigstore.bundle.v0.3+json');
    const bundle = bundleFromJSON(json);
    const hints: string[] = [];
    const trust = toTrustMaterial(EMPTY_ROOT, (hint) => {
      hints.push(hint);
      return { publicKey, validFor: () => true };
    });
    const verifier = new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 });
    verifier.verify(toSignedEntity(bundle, readFileSync(join(dir, artifact))));
    if (hintCheck) assert.equal(hints.length, 1);
  }

  it('verifies with the public key', () => {
    sigstoreVerify('artifact.bin');
  });

  it('is rejected by @sigstore/verify for a different artifact', () => {
    writeFileSync(join(dir, 'other.bin'), 'another artifact\n');
    assert.throws(() => sigstoreVerify('other.bin', false));
  });
});
