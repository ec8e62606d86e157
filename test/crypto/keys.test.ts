import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { decodePem, isSigilError } from '../../src/core/index.js';
import {
  COSIGN_PRIVATE_KEY_LABEL,
  decryptPrivateKey,
  encryptPrivateKey,
  generateKeyPair,
  importPrivateKeyPem,
  type KeyAlgorithm,
  keyIdHint,
  keySigner,
  loadPublicKeyPem,
  publicKeyPem,
  SIGSTORE_PRIVATE_KEY_LABEL,
  verifySignature,
} from '../../src/crypto/index.js';
import { COSIGN_KEY, COSIGN_PUB, fixture } from '../helpers/fixtures.js';

const FAST = { scrypt: { N: 1024, r: 8, p: 1 } };
const message = Buffer.from('the payload');

function rejects(fn: () => unknown, code: string, fragment: string): void {
  assert.throws(
    fn,
    (err) =>
      isSigilError(err) && err.code === code && err.message.includes(fragment) && !err.message.includes('\n'),
  );
}

describe('cosign-made key (fixture)', () => {
  it('decrypts with the empty password, signs, and verifies with the cosign-made public key', async () => {
    const privateKey = decryptPrivateKey(fixture(COSIGN_KEY).toString(), '', COSIGN_KEY);
    const publicKey = loadPublicKeyPem(fixture(COSIGN_PUB).toString(), COSIGN_PUB);
    assert.equal(publicKeyPem(privateKey), fixture(COSIGN_PUB).toString());
    const signer = keySigner(privateKey);
    assert.equal(signer.algorithm, 'ECDSA P-256');
    assert.equal(verifySignature(publicKey, message, await signer.sign(message)), true);
  });

  it('rejects a wrong password without revealing anything else', () => {
    rejects(
      () => decryptPrivateKey(fixture(COSIGN_KEY).toString(), 'nope', COSIGN_KEY),
      'BAD_PASSWORD',
      COSIGN_KEY,
    );
  });
});

describe('cosign encrypted key format', () => {
  it('writes the JSON fields, parameters and sizes of the format', () => {
    const { privateKey } = generateKeyPair();
    const pem = encryptPrivateKey(privateKey, 'pw');
    const block = decodePem(pem, 'written', [SIGSTORE_PRIVATE_KEY_LABEL]);
    const json = JSON.parse(block.der.toString());
    assert.deepEqual(Object.keys(json), ['kdf', 'cipher', 'ciphertext']);
    assert.deepEqual(json.kdf.params, { N: 32768, r: 8, p: 1 });
    assert.equal(json.kdf.name, 'scrypt');
    assert.equal(json.cipher.name, 'nacl/secretbox');
    assert.equal(Buffer.from(json.kdf.salt, 'base64').length, 32);
    assert.equal(Buffer.from(json.cipher.nonce, 'base64').length, 24);
    const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'der' });
    assert.equal(
      Buffer.from(json.ciphertext, 'base64').length,
      pkcs8.length + 16,
      'secretbox adds a 16-byte tag',
    );
  });

  for (const label of [SIGSTORE_PRIVATE_KEY_LABEL, COSIGN_PRIVATE_KEY_LABEL]) {
    it(`round-trips under the PEM label ${label}, with and without a password`, () => {
      for (const password of ['', 'correct horse']) {
        const { privateKey, publicKey } = generateKeyPair();
        const pem = encryptPrivateKey(privateKey, password, { ...FAST, label });
        assert.match(pem, new RegExp(`^-----BEGIN ${label}-----\n`));
        assert.equal(publicKeyPem(decryptPrivateKey(pem, password, 'k')), publicKeyPem(publicKey));
      }
    });
  }

  it('names what is wrong in a malformed key file', () => {
    const { privateKey } = generateKeyPair();
    const good = JSON.parse(
      decodePem(encryptPrivateKey(privateKey, '', FAST), 'k', [SIGSTORE_PRIVATE_KEY_LABEL]).der.toString(),
    );
    const wrap = (body: unknown) =>
      `-----BEGIN ${SIGSTORE_PRIVATE_KEY_LABEL}-----\n${Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)).toString('base64')}\n-----END ${SIGSTORE_PRIVATE_KEY_LABEL}-----\n`;
    rejects(() => decryptPrivateKey('not a pem', '', 'k.key'), 'BAD_PEM', 'k.key');
    rejects(() => decryptPrivateKey(publicKeyPem(privateKey), '', 'k.key'), 'BAD_PEM', 'PUBLIC KEY');
    rejects(() => decryptPrivateKey(wrap('{"kdf":'), '', 'k.key'), 'BAD_JSON', 'k.key');
    rejects(
      () => decryptPrivateKey(wrap({ ...good, kdf: { ...good.kdf, name: 'pbkdf2' } }), '', 'k.key'),
      'BAD_KEY',
      'kdf',
    );
    rejects(
      () => decryptPrivateKey(wrap({ ...good, cipher: { ...good.cipher, name: 'aes' } }), '', 'k.key'),
      'BAD_KEY',
      'cipher',
    );
    rejects(
      () =>
        decryptPrivateKey(
          wrap({ ...good, kdf: { ...good.kdf, params: { N: 2 ** 30, r: 8, p: 1 } } }),
          '',
          'k.key',
        ),
      'BAD_KEY',
      'scrypt N',
    );
    rejects(
      () =>
        decryptPrivateKey(
          wrap({ ...good, kdf: { ...good.kdf, params: { N: 1000, r: 8, p: 1 } } }),
          '',
          'k.key',
        ),
      'BAD_KEY',
      'scrypt N',
    );
    rejects(
      () => decryptPrivateKey(wrap({ ...good, cipher: { ...good.cipher, nonce: 'AAAA' } }), '', 'k.key'),
      'BAD_KEY',
      'nonce',
    );
    rejects(
      () => decryptPrivateKey(wrap({ ...good, ciphertext: '!!' }), '', 'k.key'),
      'BAD_INPUT',
      'ciphertext',
    );
    const flipped = Buffer.from(good.ciphertext, 'base64');
    flipped[5] = (flipped[5] ?? 0) ^ 1;
    rejects(
      () => decryptPrivateKey(wrap({ ...good, ciphertext: flipped.toString('base64') }), '', 'k.key'),
      'BAD_PASSWORD',
      'k.key',
    );
  });
});

describe('key import', () => {
  const cases: [string, string][] = [
    [
      'PKCS#8 EC',
      generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
        type: 'pkcs8',
        format: 'pem',
      }) as string,
    ],
    [
      'SEC 1 EC',
      generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({
        type: 'sec1',
        format: 'pem',
      }) as string,
    ],
    [
      'PKCS#1 RSA',
      generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
        type: 'pkcs1',
        format: 'pem',
      }) as string,
    ],
    [
      'PKCS#8 Ed25519',
      generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    ],
  ];
  for (const [name, pem] of cases) {
    it(`imports ${name}`, async () => {
      const key = importPrivateKeyPem(pem, 'in.pem');
      const signer = keySigner(key);
      assert.equal(verifySignature(createPublicKey(key), message, await signer.sign(message)), true);
    });
  }

  it('refuses weak, unknown and encrypted keys', () => {
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({
      type: 'pkcs1',
      format: 'pem',
    }) as string;
    rejects(() => importPrivateKeyPem(weak, 'weak.pem'), 'BAD_KEY', 'RSA 1024');
    const k256 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    }) as string;
    rejects(() => importPrivateKeyPem(k256, 'k1.pem'), 'BAD_KEY', 'unsupported key');
    const encrypted = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
      cipher: 'aes-256-cbc',
      passphrase: 'x',
    }) as string;
    rejects(() => importPrivateKeyPem(encrypted, 'enc.pem'), 'BAD_KEY', 'password-protected');
    rejects(
      () => importPrivateKeyPem('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n', 'junk.pem'),
      'BAD_KEY',
      'junk.pem',
    );
  });
});

describe('signatures', () => {
  const algorithms: KeyAlgorithm[] = ['ecdsa-p256', 'ecdsa-p384', 'ecdsa-p521', 'ed25519', 'rsa-2048'];
  for (const algorithm of algorithms) {
    it(`${algorithm}: verifies, and rejects tampered data, a wrong key and garbage`, async () => {
      const { privateKey, publicKey } = generateKeyPair(algorithm);
      const signature = await keySigner(privateKey).sign(message);
      assert.equal(verifySignature(publicKey, message, signature), true);
      assert.equal(verifySignature(publicKey, Buffer.from('the payloaD'), signature), false);
      assert.equal(verifySignature(generateKeyPair(algorithm).publicKey, message, signature), false);
      assert.equal(verifySignature(publicKey, message, Buffer.from('garbage')), false);
    });
  }

  it('loads verification keys from SPKI, PKCS#1 and certificates, and rejects others', () => {
    const { publicKey } = generateKeyPair('rsa-2048');
    const pkcs1 = publicKey.export({ type: 'pkcs1', format: 'pem' }) as string;
    assert.equal(publicKeyPem(loadPublicKeyPem(pkcs1, 'rsa.pub')), publicKeyPem(publicKey));
    rejects(
      () => loadPublicKeyPem('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n', 'x.pub'),
      'BAD_KEY',
      'x.pub',
    );
    rejects(() => loadPublicKeyPem('hello', 'x.pub'), 'BAD_PEM', 'x.pub');
  });

  it('computes the key hint cosign writes into bundles (base64 SHA-256 of the SPKI DER)', () => {
    const publicKey = loadPublicKeyPem(fixture(COSIGN_PUB).toString(), COSIGN_PUB);
    assert.match(keyIdHint(publicKey), /^[A-Za-z0-9+/]{43}=$/);
  });
});

describe('generated key pairs', () => {
  const curves: Record<string, string> = {
    'ecdsa-p256': 'prime256v1',
    'ecdsa-p384': 'secp384r1',
    'ecdsa-p521': 'secp521r1',
  };
  for (const algorithm of ['ecdsa-p256', 'ecdsa-p384', 'ecdsa-p521', 'ed25519', 'rsa-2048'] as const) {
    it(`${algorithm}: each pair signs and verifies, distinct, with the expected key details`, async () => {
      // Enough EC pairs that some private scalars start with a zero byte (1 in 256), which must be kept.
      const count = algorithm.startsWith('rsa') ? 2 : 300;
      const seen = new Set<string>();
      for (let i = 0; i < count; i++) {
        const { privateKey, publicKey } = generateKeyPair(algorithm);
        assert.equal(privateKey.asymmetricKeyDetails?.namedCurve, curves[algorithm]);
        const signer = keySigner(privateKey);
        const data = Buffer.from(`message ${i}`);
        assert.equal(verifySignature(publicKey, data, await signer.sign(data)), true);
        seen.add(publicKeyPem(publicKey));
      }
      assert.equal(seen.size, count);
    });
  }
});
