/** Sigstore bundles as sigil writes them: readable by every client, sigstore-python's strict model and Go's DSSE verifier included. */
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

  it('writes log index 0 and an empty proof path explicitly (sigstore-python requires both fields)', () => {
    const bundle = signatureBundle({
      artifact: Buffer.from('first entry of a new log'),
      signature: Buffer.from('signature'),
      keyHint: '',
      tlogEntries: [
        {
          logIndex: '0',
          logId: { keyId: Buffer.alloc(32) },
          kindVersion: { kind: 'hashedrekord', version: '0.0.1' },
          integratedTime: '1700000000',
          inclusionPromise: undefined,
          inclusionProof: {
            logIndex: '0',
            rootHash: Buffer.alloc(32),
            treeSize: '1',
            hashes: [],
            checkpoint: { envelope: 'checkpoint' },
          },
          canonicalizedBody: Buffer.from('{}'),
        },
      ],
    });
    const [entry] = bundle.verificationMaterial.tlogEntries;
    assert.equal(entry?.logIndex, '0');
    assert.equal(entry?.inclusionProof?.logIndex, '0');
    assert.deepEqual(entry?.inclusionProof?.hashes, []);
  });
});
