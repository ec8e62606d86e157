/** Envelope parsing refuses what notation-core-go refuses, and DNs parse as notation compares them. */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { CborTagged, decodeCbor, encodeCbor, sha256Digest } from '../../src/core/index.js';
import {
  createCoseEnvelope,
  createJwsEnvelope,
  isSubsetDn,
  parseDistinguishedName,
  parseEnvelope,
  type SignRequest,
} from '../../src/notation/index.js';
import { encodePayload } from '../../src/notation/payload.js';
import { makePki, type TestPki } from '../helpers/notation-pki.js';

describe('Notation envelopes', () => {
  let pki: TestPki;
  const manifest = Buffer.from('{}');
  const request = (): SignRequest => ({
    payload: encodePayload({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: sha256Digest(manifest),
      size: 2,
    }),
    signer: pki.signer,
    signingTime: new Date('2026-01-01T00:00:00Z'),
    expiry: new Date('2027-01-01T00:00:00Z'),
    signingScheme: 'notary.x509',
    signingAgent: 'sigil/test',
  });
  before(async () => {
    pki = await makePki();
  });

  /** A JWS envelope whose protected header is changed by `edit` (the signature no longer matters here). */
  async function jwsWith(edit: (header: Record<string, unknown>) => void): Promise<Buffer> {
    const envelope = JSON.parse((await createJwsEnvelope(request())).toString());
    const header = JSON.parse(Buffer.from(envelope.protected, 'base64url').toString());
    edit(header);
    envelope.protected = Buffer.from(JSON.stringify(header)).toString('base64url');
    return Buffer.from(JSON.stringify(envelope));
  }
  const parseJws = (bytes: Buffer) => parseEnvelope('application/jose+json', bytes, 'sig');

  it('reads back what it writes, in both formats', async () => {
    for (const [type, bytes] of [
      ['application/jose+json', await createJwsEnvelope(request())],
      ['application/cose', await createCoseEnvelope(request())],
    ] as const) {
      const content = parseEnvelope(type, bytes, 'sig');
      assert.equal(content.signingScheme, 'notary.x509');
      assert.equal(content.signingTime.toISOString(), '2026-01-01T00:00:00.000Z');
      assert.equal(content.expiry?.toISOString(), '2027-01-01T00:00:00.000Z');
      assert.equal(content.algorithm.jws, 'ES256');
      assert.equal(content.certificateChain.length, 2);
      assert.equal(content.signingAgent, 'sigil/test');
    }
  });

  it('refuses JWS headers notation refuses', async () => {
    assert.throws(() => parseJws(Buffer.from('{"payload":"e30"}')), /protected header is not base64url/);
    const cases: [(h: Record<string, unknown>) => void, RegExp][] = [
      [(h) => delete h.crit, /missing "crit" header/],
      [
        (h) => {
          h.crit = ['io.cncf.notary.signingScheme'];
        },
        /headers not marked critical: io.cncf.notary.expiry/,
      ],
      [
        (h) => {
          (h.crit as string[]).push('io.example.unknown');
        },
        /"io.example.unknown" header is marked critical but not present/,
      ],
      [
        (h) => {
          h['io.cncf.notary.signingScheme'] = 'notary.pgp';
        },
        /unsupported signing scheme "notary.pgp"/,
      ],
      [
        (h) => {
          h['io.cncf.notary.authenticSigningTime'] = '2026-01-01T00:00:00Z';
        },
        /must not be present for notary.x509/,
      ],
      [
        (h) => {
          h['io.cncf.notary.expiry'] = '2025-01-01T00:00:00Z';
        },
        /expiry is not after the signing time/,
      ],
      [
        (h) => {
          h['io.cncf.notary.signingTime'] = 'yesterday';
        },
        /signingTime is not an RFC 3339 time/,
      ],
      [
        (h) => {
          h.alg = 'RS256';
        },
        /signature algorithm "RS256" is not supported/,
      ],
    ];
    for (const [edit, reason] of cases) {
      const bytes = await jwsWith(edit);
      assert.throws(() => parseJws(bytes), reason);
    }
  });

  it('refuses a COSE envelope without its tag or with a detached payload', async () => {
    const message = decodeCbor(await createCoseEnvelope(request()), 'x') as CborTagged;
    const parts = message.value as unknown[];
    assert.throws(
      () => parseEnvelope('application/cose', encodeCbor(parts as never), 'sig'),
      /not a tagged COSE_Sign1/,
    );
    const detached = encodeCbor(new CborTagged(18, [parts[0], parts[1], null, parts[3]] as never));
    assert.throws(() => parseEnvelope('application/cose', detached, 'sig'), /payload is detached/);
  });
});

describe('distinguished names (trusted identities)', () => {
  it('parses RFC 4514 as notation compares it', () => {
    const dn = parseDistinguishedName('C=US, S=WA, O=Acme\\, Inc., CN="a+b"');
    assert.deepEqual(
      [...dn],
      [
        ['C', 'US'],
        ['ST', 'WA'],
        ['O', 'Acme, Inc.'],
        ['CN', 'a+b'],
      ],
    );
    assert.ok(isSubsetDn(parseDistinguishedName('C=US, ST=WA, O=Acme\\, Inc.'), dn));
    assert.ok(!isSubsetDn(parseDistinguishedName('C=US, ST=WA, O=Acme'), dn));
    assert.throws(() => parseDistinguishedName('C=US, ST=WA, O=a, O=b'), /has the attribute O twice/);
    assert.throws(() => parseDistinguishedName('C=US, ST=WA, O=a+OU=b'), /multi-valued RDNs/);
    assert.throws(() => parseDistinguishedName('C=US, ST=WA, O=#0403414243'), /"=#"/);
  });
});
