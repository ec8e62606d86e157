import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { describe, it } from 'node:test';
import { generateKeyPair, type KeyAlgorithm, keySigner, verifyPrehashed } from '../../src/crypto/index.js';

describe('signatures checked against a digest only', () => {
  const cases: [KeyAlgorithm, 'sha256' | 'sha384' | 'sha512'][] = [
    ['ecdsa-p256', 'sha256'],
    ['ecdsa-p384', 'sha384'],
    ['ecdsa-p521', 'sha512'],
    ['rsa-2048', 'sha256'],
  ];
  for (const [algorithm, hash] of cases) {
    it(`${algorithm}: accepts the right digest, rejects another digest, key or signature`, async () => {
      const { privateKey, publicKey } = generateKeyPair(algorithm);
      const data = Buffer.from('artifact');
      const signature = await keySigner(privateKey).sign(data);
      const digest = createHash(hash).update(data).digest();
      assert.equal(verifyPrehashed(publicKey, hash, digest, signature), true);
      assert.equal(
        verifyPrehashed(publicKey, hash, createHash(hash).update('other').digest(), signature),
        false,
      );
      assert.equal(verifyPrehashed(generateKeyPair(algorithm).publicKey, hash, digest, signature), false);
      assert.equal(verifyPrehashed(publicKey, hash, digest, Buffer.from('junk')), false);
    });
  }

  it('refuses RSA-PSS keys and digests of the wrong length, RSA included', async () => {
    const pss = generateKeyPairSync('rsa-pss', { modulusLength: 2048 });
    const data = Buffer.from('artifact');
    const digest = createHash('sha256').update(data).digest();
    const pssSignature = sign('sha256', data, pss.privateKey);
    assert.equal(verifyPrehashed(pss.publicKey, 'sha256', digest, pssSignature), false);
    const { privateKey, publicKey } = generateKeyPair('rsa-2048');
    const signature = await keySigner(privateKey).sign(data);
    assert.equal(verifyPrehashed(publicKey, 'sha256', digest, signature), true);
    assert.equal(verifyPrehashed(publicKey, 'sha384', digest, signature), false);
    assert.equal(verifyPrehashed(publicKey, 'sha256', digest.subarray(1), signature), false);
  });

  it('refuses key types it cannot check (Ed25519 needs Ed25519ph)', async () => {
    const { privateKey, publicKey } = generateKeyPair('ed25519');
    const signature = await keySigner(privateKey).sign(Buffer.from('x'));
    assert.equal(
      verifyPrehashed(publicKey, 'sha512', createHash('sha512').update('x').digest(), signature),
      false,
    );
  });
});
