import assert from 'node:assert/strict';
import { test } from 'node:test';
import { derInteger, derLength, derNamedBits, derOid, derTime } from '../../src/core/index.js';

const hex = (b: Buffer) => b.toString('hex');

test('DER lengths, OIDs and integers', () => {
  assert.equal(hex(derLength(127)), '7f');
  assert.equal(hex(derLength(128)), '8180');
  assert.equal(hex(derLength(256)), '820100');
  assert.equal(hex(derOid('1.3.6.1.4.1.11129.2.4.3')), '060a2b06010401d679020403');
  assert.equal(hex(derOid('2.5.29.15')), '0603551d0f');
  assert.equal(hex(derInteger(Buffer.from([2]))), '020102');
});

test('named bits drop trailing zero bits (KeyUsage as RFC 5280 encodes it)', () => {
  assert.equal(hex(derNamedBits([0])), '03020780'); // digitalSignature
  assert.equal(hex(derNamedBits([5, 6])), '03020106'); // keyCertSign, cRLSign
  assert.equal(hex(derNamedBits([8])), '0303070080'); // decipherOnly
});

test('times are UTCTime through 2049 and GeneralizedTime from 2050, in whole seconds', () => {
  assert.equal(derTime(new Date('2049-12-31T23:59:59.999Z')).toString('latin1', 2), '491231235959Z');
  assert.equal(derTime(new Date('2049-12-31T23:59:59Z'))[0], 0x17);
  assert.equal(derTime(new Date('2050-01-01T00:00:00.5Z')).toString('latin1', 2), '20500101000000Z');
  assert.equal(derTime(new Date('2050-01-01T00:00:00Z'))[0], 0x18);
});
