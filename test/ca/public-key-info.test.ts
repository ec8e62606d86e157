// The SubjectPublicKeyInfo a certificate carries: the request's own DER only when it is exactly what
// exporting the parsed key writes; anything else is exported.
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { subjectPublicKeyInfo } from '../../src/ca/public-key-info.js';

describe('subjectPublicKeyInfo', () => {
  it('takes the request DER of an uncompressed named-curve key as it is', () => {
    for (const namedCurve of ['P-256', 'P-384', 'P-521']) {
      const der = generateKeyPairSync('ec', { namedCurve }).publicKey.export({ type: 'spki', format: 'der' });
      const key = createPublicKey({ key: der, format: 'der', type: 'spki' });
      const spki = subjectPublicKeyInfo(key, der);
      assert.equal(spki, der, namedCurve);
      assert.deepEqual(spki, key.export({ type: 'spki', format: 'der' }));
    }
  });

  it('exports every other form: a compressed point, RSA, Ed25519, no DER at hand', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
    const jwk = ec.export({ format: 'jwk' });
    // A compressed SPKI: the prefix of an uncompressed one, then 0x02/0x03 and x only.
    const x = Buffer.from(jwk.x as string, 'base64url');
    const y = Buffer.from(jwk.y as string, 'base64url');
    const prefix = Buffer.from('3039301306072a8648ce3d020106082a8648ce3d030107032200', 'hex');
    const compressedDer = Buffer.concat([prefix, Buffer.from([2 + ((y.at(-1) ?? 0) & 1)]), x]);
    const fromCompressed = createPublicKey({ key: compressedDer, format: 'der', type: 'spki' });
    assert.deepEqual(
      subjectPublicKeyInfo(fromCompressed, compressedDer),
      fromCompressed.export({ type: 'spki', format: 'der' }),
    );
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
    const rsaDer = rsa.export({ type: 'spki', format: 'der' });
    assert.notEqual(subjectPublicKeyInfo(rsa, rsaDer), rsaDer);
    assert.deepEqual(subjectPublicKeyInfo(rsa, rsaDer), rsaDer);
    const ed = generateKeyPairSync('ed25519').publicKey;
    assert.deepEqual(subjectPublicKeyInfo(ed, undefined), ed.export({ type: 'spki', format: 'der' }));
    assert.deepEqual(subjectPublicKeyInfo(ec, undefined), ec.export({ type: 'spki', format: 'der' }));
  });
});
