import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { isSigilError } from '../../src/core/index.js';
import { parsePkcs11Uri, pkcs11PublicKey, pkcs11Signer, verifySignature } from '../../src/crypto/index.js';
import { peerMissing } from '../helpers/peers.js';
import {
  createSoftToken,
  generateTokenKey,
  SOFTHSM_MODULE,
  type SoftToken,
  softhsmAvailable,
} from '../helpers/softhsm.js';

describe('pkcs11: URIs', () => {
  it('reads path and query attributes as cosign does, id as bytes', () => {
    const uri = parsePkcs11Uri(
      'pkcs11:token=T;object=my%20key;id=%01%ff?module-path=/m.so&pin-value=1234',
      {},
    );
    assert.deepEqual(uri, {
      modulePath: '/m.so',
      token: 'T',
      slotId: undefined,
      object: 'my key',
      id: Buffer.from([1, 255]),
      pin: '1234',
    });
  });

  it('falls back to COSIGN_PKCS11_MODULE_PATH / COSIGN_PKCS11_PIN, and reads pin-source files', () => {
    const env = { COSIGN_PKCS11_MODULE_PATH: '/env.so', COSIGN_PKCS11_PIN: '9999' };
    assert.deepEqual(
      [
        parsePkcs11Uri('pkcs11:slot-id=3;id=%02', env).modulePath,
        parsePkcs11Uri('pkcs11:slot-id=3;id=%02', env).pin,
      ],
      ['/env.so', '9999'],
    );
    const pinFile = join(tmpdir(), `sigil-pin-${process.pid}`);
    writeFileSync(pinFile, '4321\n');
    assert.equal(
      parsePkcs11Uri(`pkcs11:token=T;object=k?module-path=/m.so&pin-source=file:${pinFile}`, env).pin,
      '4321',
    );
  });

  for (const [uri, reason] of [
    ['pkcs11:token=T?module-path=/m.so', /names no key/],
    ['pkcs11:object=k?module-path=/m.so', /names no token/],
    ['pkcs11:token=T;object=k', /no module-path/],
    ['pkcs11:token=T;object=k;colour=red?module-path=/m.so', /unknown attribute "colour"/],
    ['pkcs11:token=T;id=%zz?module-path=/m.so', /malformed percent-encoding/],
    ['pkcs11:token=T;object=k?module-path=/m.so&pin-value=1&pin-source=/p', /not both/],
  ] as const) {
    it(`rejects ${uri} clearly`, () => {
      assert.throws(
        () => parsePkcs11Uri(uri, {}),
        (err) => isSigilError(err, 'BAD_KEY') && reason.test(err.message),
      );
    });
  }

  it('never shows pin-value in messages', () => {
    assert.throws(
      () => parsePkcs11Uri('pkcs11:token=T;pin=x?pin-value=secret', {}),
      (err) => isSigilError(err) && !err.message.includes('secret'),
    );
  });
});

describe('pkcs11: token keys (SoftHSM2)', { skip: peerMissing('softhsm2', softhsmAvailable) }, () => {
  let token: SoftToken;
  before(() => {
    token = createSoftToken();
    generateTokenKey(token, 'p256', Buffer.from([1]));
    generateTokenKey(token, 'p384', Buffer.from([2]), 'P-384');
  });

  for (const [object, curve] of [
    ['p256', 'prime256v1'],
    ['p384', 'secp384r1'],
  ] as const) {
    it(`signs with the ${object} token key; the DER signature verifies under the token's public key`, async () => {
      const signer = pkcs11Signer(token.uri(object));
      try {
        assert.equal(signer.publicKey.asymmetricKeyDetails?.namedCurve, curve);
        const data = Buffer.from('hello token');
        const signature = await signer.sign(data);
        assert.equal(signature[0], 0x30, 'ASN.1 DER SEQUENCE');
        assert.ok(verifySignature(signer.publicKey, data, signature));
        assert.ok(!verifySignature(signer.publicKey, Buffer.from('tampered'), signature));
        const publicOnly = pkcs11PublicKey(token.uri(object, `module-path=${SOFTHSM_MODULE}`));
        assert.ok(publicOnly.equals(signer.publicKey));
      } finally {
        signer.close();
      }
    });
  }

  it('finds the key by id alone', () => {
    const signer = pkcs11Signer(
      `pkcs11:token=${token.label};id=%02?module-path=${SOFTHSM_MODULE}&pin-value=${token.pin}`,
    );
    signer.close();
    assert.equal(signer.publicKey.asymmetricKeyDetails?.namedCurve, 'secp384r1');
  });

  it('a signature from another key does not verify', async () => {
    const a = pkcs11Signer(token.uri('p256'));
    const b = pkcs11Signer(token.uri('p384'));
    try {
      const data = Buffer.from('x');
      assert.ok(!verifySignature(a.publicKey, data, await b.sign(data)));
    } finally {
      a.close();
      b.close();
    }
  });

  it('wrong PIN → BAD_PASSWORD, naming the URI but not the PIN', () => {
    assert.throws(
      () => pkcs11Signer(token.uri('p256', `module-path=${SOFTHSM_MODULE}&pin-value=0000`)),
      (err) =>
        isSigilError(err, 'BAD_PASSWORD') &&
        /rejected the PIN/.test(err.message) &&
        !err.message.includes('0000'),
    );
  });

  it('a wrong PIN fails even while another session has the token unlocked', () => {
    const open = pkcs11Signer(token.uri('p256'));
    try {
      assert.throws(
        () => pkcs11Signer(token.uri('p256', `module-path=${SOFTHSM_MODULE}&pin-value=0000`)),
        (err) => isSigilError(err, 'BAD_PASSWORD'),
      );
    } finally {
      open.close();
    }
  });

  it('missing object, missing token, missing module → clear errors', () => {
    assert.throws(
      () => pkcs11Signer(token.uri('nope')),
      (err) => isSigilError(err, 'NOT_FOUND') && /no private key/.test(err.message),
    );
    assert.throws(
      () => pkcs11Signer(`pkcs11:token=other;object=p256?module-path=${SOFTHSM_MODULE}&pin-value=1234`),
      (err) => isSigilError(err, 'NOT_FOUND') && /no token "other"/.test(err.message),
    );
    assert.throws(
      () => pkcs11Signer('pkcs11:token=T;object=p256?module-path=/nonexistent.so&pin-value=1234'),
      (err) => isSigilError(err, 'BAD_KEY') && /cannot load PKCS#11 module/.test(err.message),
    );
  });
});
