import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  type DigestAlgorithm,
  type EcdsaDigestVerifier,
  loadNativeAddon,
  nobleEcdsaDigestVerifier,
  opensslEcdsaDigestVerifier,
  verifyPrehashed,
} from '../../src/crypto/index.js';
import { peerMissing } from '../helpers/peers.js';

const native = opensslEcdsaDigestVerifier();
// The addon is an optional dependency (a machine without a compiler runs on the fallback); npm ci builds
// it, so CI requires it. Without it only the fallback side of the corpus runs.
peerMissing('the native addon sigil-prehashed-verify (npm ci builds it)', native !== undefined);
const verifiers: EcdsaDigestVerifier[] = native
  ? [native, nobleEcdsaDigestVerifier]
  : [nobleEcdsaDigestVerifier];

const CURVES: [string, DigestAlgorithm, bigint][] = [
  ['P-256', 'sha256', 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n],
  [
    'P-384',
    'sha384',
    0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
  ],
  [
    'P-521',
    'sha512',
    0x01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409n,
  ],
];

// Just enough DER to build well-formed and subtly malformed ECDSA-Sig-Value SEQUENCEs (r, s).
function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  return n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
}
function derInteger(value: bigint, extraZero = false): Buffer {
  let hex = value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  let bytes = Buffer.from(hex, 'hex');
  if ((bytes[0] ?? 0) & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  if (extraZero) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return Buffer.concat([Buffer.from([0x02]), derLength(bytes.length), bytes]);
}
function derSequence(...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([0x30]), derLength(body.length), body]);
}
function readRS(der: Buffer): [bigint, bigint] {
  let at = der[1] === 0x81 ? 3 : 2;
  const integer = (): bigint => {
    const length = der[at + 1] as number;
    const value = BigInt(`0x${der.subarray(at + 2, at + 2 + length).toString('hex')}`);
    at += 2 + length;
    return value;
  };
  return [integer(), integer()];
}

interface Case {
  name: string;
  key: KeyObject;
  algorithm: DigestAlgorithm;
  digest: Buffer;
  signature: Buffer;
  expected: boolean;
}

function corpus(): Case[] {
  const cases: Case[] = [];
  const signed = CURVES.map(([curve, algorithm, order]) => {
    const pair = generateKeyPairSync('ec', { namedCurve: curve });
    const data = Buffer.from(`artifact on ${curve}`);
    return {
      curve,
      algorithm,
      order,
      ...pair,
      digest: createHash(algorithm).update(data).digest(),
      signature: sign(algorithm, data, pair.privateKey),
    };
  });
  for (const [i, s] of signed.entries()) {
    const other = signed[(i + 1) % signed.length] as (typeof signed)[number];
    const add = (name: string, expected: boolean, change: Partial<Case> = {}) =>
      cases.push({
        name: `${s.curve} ${name}`,
        key: s.publicKey,
        algorithm: s.algorithm,
        digest: s.digest,
        signature: s.signature,
        expected,
        ...change,
      });
    const [r, sValue] = readRS(s.signature);
    const tampered = Buffer.from(s.digest);
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] as number) ^ 1;
    add('valid', true);
    add('high-S twin of a valid signature (both accept it, as Go and OpenSSL do)', true, {
      signature: derSequence(derInteger(r), derInteger(s.order - sValue)),
    });
    add('wrong key on the same curve', false, {
      key: generateKeyPairSync('ec', { namedCurve: s.curve }).publicKey,
    });
    add(`signature by a ${other.curve} key`, false, { signature: other.signature });
    add('tampered digest', false, { digest: tampered });
    add('digest one byte short', false, { digest: s.digest.subarray(1) });
    add('digest one byte long', false, { digest: Buffer.concat([s.digest, Buffer.from([0])]) });
    add('empty digest', false, { digest: Buffer.alloc(0) });
    add('truncated DER', false, { signature: s.signature.subarray(0, -1) });
    add('trailing byte after the DER', false, { signature: Buffer.concat([s.signature, Buffer.from([0])]) });
    add('garbage', false, { signature: Buffer.from('not a signature at all') });
    add('empty signature', false, { signature: Buffer.alloc(0) });
    add('r with a needless leading zero (not DER)', false, {
      signature: derSequence(derInteger(r, true), derInteger(sValue)),
    });
    const body = s.signature.subarray(s.signature[1] === 0x81 ? 3 : 2);
    add('a length in more bytes than needed (BER, not DER)', false, {
      signature: Buffer.concat([Buffer.from([0x30, 0x82, 0, body.length]), body]),
    });
    add('r = 0', false, { signature: derSequence(derInteger(0n), derInteger(sValue)) });
    add('s = n + s (out of range)', false, {
      signature: derSequence(derInteger(r), derInteger(s.order + sValue)),
    });
  }
  return cases;
}

describe('ECDSA over a digest: OpenSSL (native addon) and @noble/curves (fallback) agree', () => {
  const cases = corpus();
  for (const c of cases) {
    it(c.name, () => {
      for (const verifier of verifiers) {
        assert.equal(
          verifyPrehashed(c.key, c.algorithm, c.digest, c.signature, verifier),
          c.expected,
          `${verifier.name}: verifyPrehashed`,
        );
      }
    });
  }

  it('the raw verifiers (without the digest-length gate) agree on every case too', () => {
    for (const c of cases) {
      const results = verifiers.map((v) => v.prepare(c.key)(c.digest, c.signature));
      assert.ok(
        results.every((r) => r === results[0]),
        `${c.name}: ${verifiers.map((v, i) => `${v.name}=${results[i]}`).join(' ')}`,
      );
    }
  });

  it('a key prepared once never vouches for another key, digest or signature', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const signature = sign('sha256', Buffer.from('a'), privateKey);
    const digest = createHash('sha256').update('a').digest();
    for (const verifier of verifiers) {
      const check = verifier.prepare(publicKey);
      assert.equal(check(digest, signature), true);
      assert.equal(verifier.prepare(publicKey), check, `${verifier.name} prepares a KeyObject once`);
      const otherKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
      assert.equal(verifier.prepare(otherKey)(digest, signature), false);
      assert.equal(check(createHash('sha256').update('b').digest(), signature), false);
      assert.equal(check(digest, Buffer.from(signature).fill(0, 8, 12)), false);
      // The cached check is still right after the refusals.
      assert.equal(check(digest, signature), true);
    }
  });

  it('refuses keys outside P-256/P-384/P-521 and non-EC keys, on both sides', () => {
    const k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
    const data = Buffer.from('x');
    const signature = sign('sha256', data, k1.privateKey);
    const digest = createHash('sha256').update(data).digest();
    const ed = generateKeyPairSync('ed25519').publicKey;
    for (const verifier of verifiers) {
      assert.equal(verifyPrehashed(k1.publicKey, 'sha256', digest, signature, verifier), false);
      assert.equal(verifier.prepare(ed)(digest, signature), false);
    }
  });

  it('the addon refuses a key it did not parse, non-EC keys and SPKI with trailing bytes', {
    skip: !native,
  }, () => {
    const addon = loadNativeAddon();
    assert.ok(addon);
    const spki = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({
      type: 'spki',
      format: 'der',
    });
    assert.throws(() => addon.verifyDigest({}, Buffer.alloc(32), Buffer.alloc(8)), TypeError);
    assert.throws(
      () => addon.verifyDigest(addon.parseEcPublicKey(spki), 'digest' as never, Buffer.alloc(8)),
      TypeError,
    );
    assert.throws(
      () => addon.parseEcPublicKey(Buffer.concat([spki, Buffer.from([0])])),
      /not a DER SubjectPublicKeyInfo/,
    );
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({
      type: 'spki',
      format: 'der',
    });
    assert.throws(() => addon.parseEcPublicKey(rsa), /of an EC key/);
  });

  it('SIGIL_ECDSA_DIGEST_VERIFIER=noble selects the fallback, which still verifies', () => {
    const script = `
      import { createHash, generateKeyPairSync, sign } from 'node:crypto';
      import { ecdsaDigestVerifier, verifyPrehashed } from './src/crypto/index.js';
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const signature = sign('sha256', Buffer.from('a'), privateKey);
      const digest = createHash('sha256').update('a').digest();
      console.log(ecdsaDigestVerifier().name, verifyPrehashed(publicKey, 'sha256', digest, signature));`;
    const run = (value: string | undefined) =>
      execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        env: { ...process.env, SIGIL_ECDSA_DIGEST_VERIFIER: value },
        encoding: 'utf8',
      }).trim();
    assert.equal(run('noble'), 'noble true');
    assert.equal(run(''), native ? 'openssl true' : 'noble true');
  });
});
