import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateKeyPair, keyIdHint } from '../../src/crypto/index.js';
import { signatureBundle } from '../../src/formats/index.js';

describe('signatureBundle', () => {
  it('names a key-signed DSSE bundle by its hint, with no keyid on the envelope signature (as cosign)', () => {
    // Go's DSSE verifier (cosign, sigstore-go) skips a signature whose keyid is not its own key id: with
    // the hint as keyid, cosign verify-attestation found 0 of 1 signatures valid.
    const hint = keyIdHint(generateKeyPair().publicKey);
    const bundle = signatureBundle({
      artifact: Buffer.from('{"_type":"https://in-toto.io/Statement/v1"}'),
      signature: Buffer.from('signature'),
      dssePayloadType: 'application/vnd.in-toto+json',
      keyHint: hint,
    });
    assert.deepEqual(bundle.verificationMaterial.publicKey, { hint });
    assert.deepEqual(bundle.dsseEnvelope?.signatures, [{ sig: Buffer.from('signature').toString('base64') }]);
  });
});
