/**
 * The RFC 3161 TSA: tokens from a running `startTsa` make a Sigstore bundle verify with @sigstore/verify
 * (and fail it when they vouch for another signature, come from another TSA, or are altered);
 * @sigstore/sign's TSA witness and openssl speak to it unchanged; the HTTP routes refuse bad requests.
 */
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { AsnConvert } from '@peculiar/asn1-schema';
import { PKIFreeText, PKIStatus, PKIStatusInfo, TimeStampResp } from '@peculiar/asn1-tsp';
import { bundleFromJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { MessageSignatureBundleBuilder, type Signer, TSAWitness } from '@sigstore/sign';
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import { decodePemBlocks, isSigilError } from '../../src/core/index.js';
import {
  createTsaMaterial,
  encodeTimestampRequest,
  loadTsa,
  parseTimestampToken,
  type RunningTsa,
  requestTimestamp,
  startTsa,
  type TsaMaterial,
} from '../../src/tsa/index.js';
import { assertOpensslVerifiesTimestamp, hasOpenssl } from '../helpers/openssl-ts.js';

const ARTIFACT = Buffer.from('release artifact v1.2.3\n');
const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest();

/** A TrustedRoot (protobuf-specs JSON form) whose only authority is the TSA with `chainPem`. */
function trustedRoot(chainPem: string): TrustedRoot {
  return TrustedRoot.fromJSON({
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [],
    certificateAuthorities: [],
    ctlogs: [],
    timestampAuthorities: [
      {
        subject: { organization: 'sigil', commonName: 'sigil timestamp authority' },
        uri: 'http://tsa.example',
        certChain: {
          certificates: decodePemBlocks(chainPem, 'chain').map((b) => ({
            rawBytes: b.der.toString('base64'),
          })),
        },
        validFor: { start: new Date(Date.now() - 3_600_000).toISOString() },
      },
    ],
  });
}

/** A v0.3 message-signature bundle with a public-key hint, timestamped by TSA tokens only (no tlog). */
function bundleJson(signature: Buffer, timestamps: Uint8Array[]): unknown {
  return {
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial: {
      publicKey: { hint: 'test-key' },
      tlogEntries: [],
      timestampVerificationData: {
        rfc3161Timestamps: timestamps.map((t) => ({ signedTimestamp: Buffer.from(t).toString('base64') })),
      },
    },
    messageSignature: {
      messageDigest: { algorithm: 'SHA2_256', digest: sha256(ARTIFACT).toString('base64') },
      signature: signature.toString('base64'),
    },
  };
}

function sigstoreVerify(json: unknown, chainPem: string, publicKey: KeyObject): void {
  const trust = toTrustMaterial(trustedRoot(chainPem), () => ({ publicKey, validFor: () => true }));
  const verifier = new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 1 });
  verifier.verify(toSignedEntity(bundleFromJSON(json), ARTIFACT));
}

describe('tsa', () => {
  let material: TsaMaterial;
  let other: TsaMaterial;
  let running: RunningTsa;
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const signature = sign('sha256', ARTIFACT, privateKey);

  before(async () => {
    [material, other] = await Promise.all([
      createTsaMaterial(),
      createTsaMaterial({ commonName: 'other TSA' }),
    ]);
    running = await startTsa({ host: '127.0.0.1', port: 0, ...material });
  });
  after(() => running?.close());

  describe('interop with @sigstore/verify', () => {
    it('a bundle timestamped by the TSA verifies against a trusted root naming its chain', async () => {
      const token = await requestTimestamp(running.url, signature);
      sigstoreVerify(bundleJson(signature, [token]), material.chainPem, publicKey);
    });

    it('the same bundle without the timestamp does not meet the threshold', () => {
      assert.throws(
        () => sigstoreVerify(bundleJson(signature, []), material.chainPem, publicKey),
        /timestamp/i,
      );
    });

    it('fails when the timestamp is over another signature', async () => {
      const token = await requestTimestamp(running.url, sign('sha256', Buffer.from('other'), privateKey));
      assert.throws(() => sigstoreVerify(bundleJson(signature, [token]), material.chainPem, publicKey));
    });

    it("fails when the trusted root names another TSA's chain", async () => {
      const token = await requestTimestamp(running.url, signature);
      assert.throws(() => sigstoreVerify(bundleJson(signature, [token]), other.chainPem, publicKey));
    });

    it('fails when a byte of the token is flipped (signature, serial number, nonce)', async () => {
      const token = Buffer.from(await requestTimestamp(running.url, signature));
      const info = parseTimestampToken(token);
      const at = (hex: string) => token.indexOf(Buffer.from(hex, 'hex'));
      const positions = [
        token.length - 1,
        at(info.serialNumber) + 5,
        at((info.nonce ?? 0n).toString(16).padStart(16, '0').slice(-8)),
      ];
      for (const position of positions) {
        assert.ok(position > 0);
        const flipped = Buffer.from(token);
        flipped[position] = (flipped[position] ?? 0) ^ 0x01;
        assert.throws(
          () => sigstoreVerify(bundleJson(signature, [flipped]), material.chainPem, publicKey),
          `flipped byte ${position} still verifies`,
        );
      }
    });
  });

  describe('interop with @sigstore/sign', () => {
    it('TSAWitness gets a timestamp whose bundle verifies', async () => {
      const signer: Signer = {
        sign: async (data) => ({
          signature: sign('sha256', data, privateKey),
          key: {
            $case: 'publicKey',
            publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
          },
        }),
      };
      const builder = new MessageSignatureBundleBuilder({
        signer,
        witnesses: [new TSAWitness({ tsaBaseURL: running.url })],
      });
      const bundle = await builder.create({ data: ARTIFACT });
      const timestamps = bundle.verificationMaterial.timestampVerificationData?.rfc3161Timestamps ?? [];
      assert.equal(timestamps.length, 1);
      const trust = toTrustMaterial(trustedRoot(material.chainPem), () => ({
        publicKey,
        validFor: () => true,
      }));
      const verifier = new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 1 });
      verifier.verify(toSignedEntity(bundle, ARTIFACT));
      assert.throws(() => verifier.verify(toSignedEntity(bundle, Buffer.from('tampered'))));
    });

    it('TSAWitness given the full endpoint URL (signing_config form) works too', async () => {
      const witness = new TSAWitness({ tsaBaseURL: `${running.url}/api/v1/timestamp` });
      const result = await witness.testify({
        $case: 'messageSignature',
        messageSignature: { signature, messageDigest: { algorithm: 1, digest: sha256(ARTIFACT) } },
      });
      const token = result.rfc3161Timestamps[0]?.signedTimestamp;
      assert.ok(token);
      assert.deepEqual(parseTimestampToken(token).hashedMessage, sha256(signature));
    });
  });

  describe('tokens', () => {
    it('echo the nonce and imprint, carry the leaf for certReq, and stamp the sigstore policy', async () => {
      const before = Date.now();
      const info = parseTimestampToken(await requestTimestamp(running.url, signature));
      assert.equal(info.status, 0);
      assert.equal(info.policy, '1.3.6.1.4.1.57264.2');
      assert.equal(info.hashAlgorithm, 'sha256');
      assert.deepEqual(info.hashedMessage, sha256(signature));
      assert.ok(
        info.genTime.getTime() >= Math.floor(before / 1000) * 1000 && info.genTime.getTime() <= Date.now(),
      );
      const [leaf] = decodePemBlocks(material.chainPem, 'chain');
      assert.deepEqual(info.certificates, [leaf?.der]);
    });

    it('have unique serial numbers', async () => {
      const serials = await Promise.all(
        [1, 2, 3].map(
          async () => parseTimestampToken(await requestTimestamp(running.url, signature)).serialNumber,
        ),
      );
      assert.equal(new Set(serials).size, 3);
    });

    it('carry no certificates without certReq, and accept SHA-384 and SHA-512 imprints', async () => {
      const tsa = loadTsa(material);
      for (const hash of ['sha384', 'sha512'] as const) {
        const digest = createHash(hash).update(signature).digest();
        const info = parseTimestampToken(await tsa.timestamp(encodeTimestampRequest({ hash, digest })));
        assert.equal(info.hashAlgorithm, hash);
        assert.deepEqual(info.hashedMessage, digest);
        assert.deepEqual(info.certificates, []);
        assert.equal(info.nonce, undefined);
      }
    });

    it('include the whole chain for certReq when includeChain is set', async () => {
      const tsa = loadTsa({ ...material, includeChain: true });
      const request = encodeTimestampRequest({ hash: 'sha256', digest: sha256(signature), certReq: true });
      const info = parseTimestampToken(await tsa.timestamp(request));
      assert.deepEqual(
        info.certificates,
        decodePemBlocks(material.chainPem, 'chain').map((b) => b.der),
      );
    });

    it('are refused for another policy, and BAD_INPUT names the problem', async () => {
      const tsa = loadTsa(material);
      const request = encodeTimestampRequest({
        hash: 'sha256',
        digest: sha256(signature),
        policy: '1.2.3.4',
      });
      await assert.rejects(
        tsa.timestamp(request),
        (err) => isSigilError(err, 'BAD_INPUT') && /policy/.test(err.message),
      );
      const custom = loadTsa({ ...material, policy: '1.2.3.4' });
      assert.equal(parseTimestampToken(await custom.timestamp(request)).policy, '1.2.3.4');
    });

    it('parseTimestampToken reports a refusal with its status text', () => {
      const refusal = AsnConvert.serialize(
        new TimeStampResp({
          status: new PKIStatusInfo({
            status: PKIStatus.rejection,
            statusString: new PKIFreeText(['bad request']),
          }),
        }),
      );
      assert.throws(
        () => parseTimestampToken(new Uint8Array(refusal)),
        (err) => isSigilError(err, 'SERVICE_ERROR') && /rejection: bad request/.test(err.message),
      );
      assert.throws(
        () => parseTimestampToken(Buffer.from('3003020100', 'hex').subarray(0, 4)),
        (err) => isSigilError(err, 'BAD_INPUT'),
      );
    });
  });

  describe('loadTsa', () => {
    it('refuses a key that is not the leaf key', () => {
      assert.throws(
        () => loadTsa({ chainPem: material.chainPem, keyPem: other.keyPem }),
        (err) => isSigilError(err, 'BAD_KEY'),
      );
    });

    it('refuses a chain listed root first, and a leaf without the timestamping usage', () => {
      const [leaf, root] = material.chainPem.split(/(?<=-----END CERTIFICATE-----\n)/);
      assert.throws(
        () => loadTsa({ chainPem: `${root}${leaf}`, keyPem: material.keyPem }),
        (err) => isSigilError(err, 'BAD_CERTIFICATE') && /not issued by/.test(err.message),
      );
      assert.throws(
        () => loadTsa({ chainPem: root ?? '', keyPem: material.keyPem }),
        (err) => isSigilError(err, 'BAD_CERTIFICATE') && /id-kp-timeStamping/.test(err.message),
      );
    });

    it('refuses a chain whose leaf is not issued by the next certificate', () => {
      const [leaf] = material.chainPem.split(/(?<=-----END CERTIFICATE-----\n)/);
      const [, otherRoot] = other.chainPem.split(/(?<=-----END CERTIFICATE-----\n)/);
      assert.throws(
        () => loadTsa({ chainPem: `${leaf}${otherRoot}`, keyPem: material.keyPem }),
        (err) => isSigilError(err, 'BAD_CERTIFICATE') && /not issued by/.test(err.message),
      );
    });
  });

  describe('routes', () => {
    async function post(body: Uint8Array | string, contentType: string): Promise<Response> {
      return fetch(`${running.url}/api/v1/timestamp`, {
        method: 'POST',
        headers: { 'Content-Type': contentType },
        body,
      });
    }

    async function expect400(response: Response, message: RegExp): Promise<void> {
      assert.equal(response.status, 400);
      const body = (await response.json()) as { code: number; message: string };
      assert.equal(body.code, 400);
      assert.match(body.message, message);
    }

    it('answers a DER request with a DER reply', async () => {
      const request = encodeTimestampRequest({ hash: 'sha256', digest: sha256(signature), nonce: 42n });
      const response = await post(request, 'application/timestamp-query');
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('content-type'), 'application/timestamp-reply');
      assert.equal(parseTimestampToken(new Uint8Array(await response.arrayBuffer())).nonce, 42n);
    });

    it('refuses malformed DER, trailing bytes, SHA-1, a wrong-length digest and an empty body with 400', async () => {
      await expect400(
        await post(Buffer.from('not DER at all'), 'application/timestamp-query'),
        /TimeStampReq/,
      );
      const good = encodeTimestampRequest({ hash: 'sha256', digest: sha256(signature) });
      await expect400(
        await post(Buffer.concat([good, Buffer.from([0])]), 'application/timestamp-query'),
        /DER/,
      );
      // SHA-1 (1.3.14.3.2.26) with a 20-byte digest: well-formed, refused as weak.
      const sha1 = Buffer.from(`3024020101301f300706052b0e03021a0414${'11'.repeat(20)}`, 'hex');
      await expect400(await post(sha1, 'application/timestamp-query'), /hash algorithm 1\.3\.14\.3\.2\.26/);
      const short = encodeTimestampRequest({ hash: 'sha256', digest: sha256(signature).subarray(0, 20) });
      await expect400(await post(short, 'application/timestamp-query'), /20 bytes/);
      await expect400(await post(Buffer.alloc(0), 'application/timestamp-query'), /empty/);
    });

    it('accepts the JSON form, echoing its nonce and honouring "certificates"', async () => {
      const response = await post(
        JSON.stringify({
          artifactHash: sha256(signature).toString('base64'),
          hashAlgorithm: 'SHA256',
          nonce: 123456789,
          certificates: true,
        }),
        'application/json',
      );
      assert.equal(response.status, 200);
      const info = parseTimestampToken(new Uint8Array(await response.arrayBuffer()));
      assert.equal(info.nonce, 123456789n);
      assert.equal(info.certificates.length, 1);
      assert.deepEqual(info.hashedMessage, sha256(signature));
    });

    it('refuses bad JSON requests with 400', async () => {
      const hash = sha256(signature).toString('base64');
      await expect400(await post('{"artifactHash":', 'application/json'), /JSON/i);
      await expect400(
        await post(JSON.stringify({ artifactHash: hash, hashAlgorithm: 'sha1' }), 'application/json'),
        /sha1/,
      );
      await expect400(
        await post(JSON.stringify({ hashAlgorithm: 'sha256' }), 'application/json'),
        /artifactHash/,
      );
      await expect400(
        await post(
          JSON.stringify({ artifactHash: 'not base64!', hashAlgorithm: 'sha256' }),
          'application/json',
        ),
        /base64/,
      );
      await expect400(
        await post(
          JSON.stringify({ artifactHash: hash, hashAlgorithm: 'sha256', nonce: 2 ** 60 }),
          'application/json',
        ),
        /nonce/,
      );
    });

    it('refuses other content types with 415 and oversized bodies with 413', async () => {
      const response = await post('x', 'text/plain');
      assert.equal(response.status, 415);
      assert.equal(((await response.json()) as { code: number }).code, 415);
      const large = await post(Buffer.alloc(16 * 1024, 0x30), 'application/timestamp-query');
      assert.equal(large.status, 413);
      assert.equal(((await large.json()) as { code: number }).code, 413);
    });

    it('serves the chain as PEM, leaf first', async () => {
      const response = await fetch(`${running.url}/api/v1/timestamp/certchain`);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('content-type'), 'application/pem-certificate-chain');
      assert.equal(await response.text(), material.chainPem);
    });
  });

  it(
    'interop with openssl ts: its query is answered and its verifier accepts the reply',
    {
      skip: !hasOpenssl(),
    },
    () => assertOpensslVerifiesTimestamp(running.url, ARTIFACT, material.chainPem),
  );
});
