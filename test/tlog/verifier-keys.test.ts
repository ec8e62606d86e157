/**
 * The parsed-key cache under Rekor v2 writes: it must give what parsing gives, and never let a request through
 * that the uncached path refuses (another key, a key under the wrong label, an unsupported key).
 */
import assert from 'node:assert/strict';
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  X509Certificate,
} from 'node:crypto';
import { describe, it } from 'node:test';
import { isSigilError, sha256 } from '../../src/core/index.js';
import { generateKeyPair, keySigner } from '../../src/crypto/index.js';
import { acceptV2Request, VERIFIER_KEY_CACHE_SIZE, verifierKey } from '../../src/tlog/index.js';
import { selfSignedCertificate } from '../helpers/tls.js';

const spki = (key: { export(o: { type: 'spki'; format: 'der' }): Buffer }) =>
  key.export({ type: 'spki', format: 'der' });
const data = Buffer.from('cached key data');
const digest = createHash('sha256').update(data).digest();

function request(signature: Buffer, raw: Buffer, label: 'publicKey' | 'x509Certificate' = 'publicKey') {
  return {
    hashedRekordRequestV002: {
      digest: digest.toString('base64'),
      signature: {
        content: signature.toString('base64'),
        verifier: { [label]: { rawBytes: raw.toString('base64') }, keyDetails: 'PKIX_ECDSA_P256_SHA_256' },
      },
    },
  };
}

function refused(input: unknown, fragment: string): void {
  assert.throws(
    () => acceptV2Request(input),
    (err) => isSigilError(err, 'BAD_INPUT') && err.message.includes(fragment),
  );
}

describe('Rekor v2 verifier keys, parsed once', () => {
  it('answers a repeated key with what parsing gives: the same key and its SPKI fingerprint', () => {
    const { publicKey } = generateKeyPair('ecdsa-p256');
    const first = verifierKey(spki(publicKey), false, 'v');
    const again = verifierKey(Buffer.from(spki(publicKey)), false, 'v');
    assert.equal(again, first);
    assert.ok(first.key.equals(publicKey));
    assert.equal(first.fingerprint, `key:${sha256(spki(publicKey)).toString('hex')}`);
  });

  it("never verifies one key's signature under another cached key, either way round", async () => {
    const a = generateKeyPair('ecdsa-p256');
    const b = generateKeyPair('ecdsa-p256');
    const byA = await keySigner(a.privateKey).sign(data);
    const byB = await keySigner(b.privateKey).sign(data);
    for (let round = 0; round < 2; round++) {
      acceptV2Request(request(byA, spki(a.publicKey)));
      acceptV2Request(request(byB, spki(b.publicKey)));
      refused(request(byA, spki(b.publicKey)), 'does not verify');
      refused(request(byB, spki(a.publicKey)), 'does not verify');
    }
  });

  it('keeps the label: certificate DER is no public key, even once accepted as a certificate', async () => {
    const { key, cert } = selfSignedCertificate();
    const der = new X509Certificate(cert).raw;
    const signature = await keySigner(createPrivateKey(key)).sign(data);
    for (let round = 0; round < 2; round++) {
      acceptV2Request(request(signature, der, 'x509Certificate'));
      refused(request(signature, der, 'publicKey'), 'is not a DER certificate or public key');
    }
    // A bare key under the certificate label (as @sigstore/sign sends it) is read as the key both times.
    const bare = spki(new X509Certificate(cert).publicKey);
    for (let round = 0; round < 2; round++) {
      acceptV2Request(request(signature, bare, 'x509Certificate'));
      acceptV2Request(request(signature, bare, 'publicKey'));
    }
  });

  it("refuses bytes that are not the key's one DER form, as rekor-tiles does, before and after the key is known", async () => {
    const { privateKey, publicKey } = generateKeyPair('ecdsa-p256');
    const signature = await keySigner(privateKey).sign(data);
    const der = spki(publicKey);
    const jwk = publicKey.export({ format: 'jwk' });
    const odd = (Buffer.from(jwk.y as string, 'base64url').at(-1) as number) & 1;
    const compressed = Buffer.concat([
      der.subarray(0, 23),
      Buffer.from([0x03, 0x22, 0x00, 2 + odd]),
      Buffer.from(jwk.x as string, 'base64url'),
    ]);
    compressed[1] = compressed.length - 2;
    assert.ok(createPublicKey({ key: compressed, format: 'der', type: 'spki' }).equals(publicKey));
    const { key, cert } = selfSignedCertificate();
    const certificate = new X509Certificate(cert).raw;
    const certSignature = await keySigner(createPrivateKey(key)).sign(data);
    for (let round = 0; round < 2; round++) {
      for (const label of ['publicKey', 'x509Certificate'] as const) {
        refused(
          request(signature, Buffer.concat([der, Buffer.alloc(3)]), label),
          'not in DER SubjectPublicKeyInfo form',
        );
        refused(request(signature, compressed, label), 'not in DER SubjectPublicKeyInfo form');
        acceptV2Request(request(signature, der, label));
      }
      refused(
        request(certSignature, Buffer.concat([certificate, Buffer.alloc(3)]), 'x509Certificate'),
        '3 bytes after its certificate',
      );
    }
  });

  it('refuses an unsupported key every time: refusals are not remembered', () => {
    const weak = spki(generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey);
    for (let round = 0; round < 2; round++) {
      assert.throws(
        () => verifierKey(weak, false, 'the verifier'),
        (err) => isSigilError(err, 'BAD_INPUT') && /the verifier: unsupported key/.test(err.message),
      );
    }
    assert.throws(() => verifierKey(Buffer.alloc(0), false, 'the verifier'), /has no public key/);
  });

  it('stays right past its bound: an evicted key is parsed again, not lost or mixed up', async () => {
    const first = generateKeyPair('ecdsa-p256');
    const signature = await keySigner(first.privateKey).sign(data);
    acceptV2Request(request(signature, spki(first.publicKey)));
    const { publicKey } = generateKeyPair('ecdsa-p256');
    const der = spki(publicKey);
    // More fresh keys than the cache holds push out both keys above.
    for (let i = 0; i <= VERIFIER_KEY_CACHE_SIZE; i++)
      verifierKey(spki(generateKeyPair('ecdsa-p256').publicKey), false, 'v');
    assert.ok(verifierKey(der, false, 'v').key.equals(publicKey));
    acceptV2Request(request(signature, spki(first.publicKey)));
    refused(request(signature, der), 'does not verify');
  });
});
