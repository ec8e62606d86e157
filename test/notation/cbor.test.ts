import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CborTagged, decodeCbor, encodeCbor } from '../../src/core/index.js';

describe('CBOR (the COSE subset)', () => {
  it('round-trips the values COSE_Sign1 uses', () => {
    const value = new CborTagged(18, [
      new Uint8Array([1, 2, 3]),
      new Map<string | number, unknown>([
        [1, -37],
        [33, [new Uint8Array(300)]],
        ['io.cncf.notary.signingTime', new CborTagged(1, 1_700_000_000)],
      ]) as never,
      new Uint8Array(0),
      new Uint8Array(70_000),
    ]);
    const decoded = decodeCbor(encodeCbor(value), 'test');
    assert.deepEqual(decoded, value);
  });

  it('encodes RFC 8949 examples byte for byte', () => {
    const hex = (v: Parameters<typeof encodeCbor>[0]) => encodeCbor(v).toString('hex');
    assert.equal(hex(0), '00');
    assert.equal(hex(24), '1818');
    assert.equal(hex(1000), '1903e8');
    assert.equal(hex(-1), '20');
    assert.equal(hex(-1000), '3903e7');
    assert.equal(hex(1_000_000_000_000), '1b000000e8d4a51000');
    assert.equal(hex('IETF'), '6449455446');
    assert.equal(hex([1, [2, 3]]), '8201820203');
    assert.equal(hex(new CborTagged(1, 1363896240)), 'c11a514b67b0');
  });

  it('refuses malformed input with the offset', () => {
    assert.throws(() => decodeCbor(Buffer.from('5f', 'hex'), 'x'), /indefinite lengths/);
    assert.throws(() => decodeCbor(Buffer.from('4401', 'hex'), 'x'), /length runs past the end/);
    assert.throws(() => decodeCbor(Buffer.from('0000', 'hex'), 'x'), /1 bytes after the item/);
    assert.throws(() => decodeCbor(Buffer.from('a201000100', 'hex'), 'x'), /duplicate map key/);
  });
});
