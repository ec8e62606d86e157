/** Sigstore bundles as sigil writes them: readable by every client, sigstore-python's strict model included. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { signatureBundle } from '../../src/formats/index.js';

describe('signatureBundle', () => {
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
