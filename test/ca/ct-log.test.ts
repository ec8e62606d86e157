// The CA's certificate-transparency log (RFC 6962) on the transparency-log engine: every issued
// certificate's precertificate is in the Merkle tree before its SCT is embedded, and a monitor can prove
// it through the read API (get-sth, get-entries, get-proof-by-hash, get-sth-consistency).
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject, sign, verify, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate, Extensions } from '@peculiar/asn1-x509';
import { decodeJwt } from 'jose';
import {
  CertificateAuthority,
  type CtLog,
  createCaMaterial,
  ctLogClient,
  embeddedCtLog,
  merkleTreeLeaf,
  parseMerkleTreeLeaf,
  parseSigningCertRequest,
  type RunningCa,
  startCa,
  TokenVerifier,
  treeHeadSignatureInput,
} from '../../src/ca/index.js';
import type { CaMaterial } from '../../src/ca/material.js';
import { certificateIssuer, draftCertificate } from '../../src/ca/x509.js';
import { isSigilError, sha256 } from '../../src/core/index.js';
import { keySigner } from '../../src/crypto/index.js';
import { type RunningDevIssuer, startDevIssuer } from '../../src/oidc/index.js';
import { leafHash, verifyConsistency, verifyInclusion } from '../../src/tlog/index.js';

const SCT_LIST_OID = '1.3.6.1.4.1.11129.2.4.2';
const POISON_OID = '1.3.6.1.4.1.11129.2.4.3';

interface Sth {
  tree_size: number;
  timestamp: number;
  sha256_root_hash: string;
  tree_head_signature: string;
}

describe('CT log personality of the CA', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sigil-ct-'));
  let oidc: RunningDevIssuer;
  let material: CaMaterial;
  let ctLog: CtLog;
  let authority: CertificateAuthority;
  let ca: RunningCa;
  const issuers = () =>
    new TokenVerifier([{ issuerUrl: oidc.issuers.email, clientId: 'sigstore', type: 'email' }]);

  before(async () => {
    oidc = await startDevIssuer('127.0.0.1', 0);
    material = await createCaMaterial();
    ctLog = await embeddedCtLog(join(dir, 'ctlog.db'), material);
    authority = new CertificateAuthority(material, issuers(), ctLog);
    ca = await startCa(authority, '127.0.0.1', 0, ctLog);
  });
  after(async () => {
    await ca.close();
    await ctLog.close();
    await oidc.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const issueWith = async (by: CertificateAuthority): Promise<X509Certificate> => {
    const token = await oidc.mint({ kind: 'email', email: 'dev@example.com' });
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const proof = sign('sha256', Buffer.from(String(decodeJwt(token).email)), privateKey);
    const issued = await by.issue(
      parseSigningCertRequest({
        credentials: { oidcIdentityToken: token },
        publicKeyRequest: {
          publicKey: { content: publicKey.export({ type: 'spki', format: 'pem' }) },
          proofOfPossession: proof.toString('base64'),
        },
      }),
    );
    return new X509Certificate(issued.chain[0] as string);
  };
  const get = async <T>(path: string): Promise<{ status: number; body: T }> => {
    const response = await fetch(`${ca.url}/ct/v1/${path}`);
    return { status: response.status, body: (await response.json()) as T };
  };
  const post = async (path: string, body: string) => {
    const response = await fetch(`${ca.url}/ct/v1/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const b64 = (text: string) => Buffer.from(text, 'base64');
  const verifiedSth = async (): Promise<Sth> => {
    const { body: sth } = await get<Sth>('get-sth');
    const signed = b64(sth.tree_head_signature);
    assert.deepEqual([...signed.subarray(0, 2)], [4, 3], 'SHA-256 with ECDSA');
    const input = treeHeadSignatureInput(sth.timestamp, sth.tree_size, b64(sth.sha256_root_hash));
    assert.ok(verify('sha256', input, ctLog.publicKey, signed.subarray(4)), 'the STH signature verifies');
    return sth;
  };

  it('logs the precertificate of every certificate it issues, provably included in the signed tree', async () => {
    const leaf = await issueWith(authority);
    const sct = embeddedSct(leaf);
    assert.ok(sct.logId.equals(ctLog.logId));

    // A monitor's view: the final TBS without its SCT list (re-encoded independently of the log's DER
    // surgery), the issuer's key hash and the SCT's timestamp give the leaf, which the SCT signs ...
    const issuerKey = (authority.chain[0] as X509Certificate).publicKey;
    const expectedLeaf = merkleTreeLeaf({
      timestampMs: sct.timestampMs,
      entryType: 1,
      certificate: tbsWithout(leaf, SCT_LIST_OID),
      issuerKeyHash: sha256(issuerKey.export({ type: 'spki', format: 'der' })),
    });
    assert.ok(verify('sha256', expectedLeaf, ctLog.publicKey, sct.signature), 'the SCT verifies');

    // ... and that leaf is in the tree the log signs.
    const sth = await verifiedSth();
    const hash = leafHash(expectedLeaf);
    const proof = await get<{ leaf_index: number; audit_path: string[] }>(
      `get-proof-by-hash?hash=${encodeURIComponent(hash.toString('base64'))}&tree_size=${sth.tree_size}`,
    );
    assert.equal(proof.status, 200);
    verifyInclusion(
      hash,
      proof.body.leaf_index,
      sth.tree_size,
      proof.body.audit_path.map(b64),
      b64(sth.sha256_root_hash),
    );

    const { body } = await get<{ entries: Array<{ leaf_input: string; extra_data: string }> }>(
      `get-entries?start=${proof.body.leaf_index}&end=${proof.body.leaf_index}`,
    );
    const entry = body.entries[0];
    assert.ok(entry && b64(entry.leaf_input).equals(expectedLeaf));
    const parsed = parseMerkleTreeLeaf(b64(entry.leaf_input));
    assert.equal(parsed.timestampMs, sct.timestampMs);
    // The extra data starts with the poisoned precertificate the CA submitted, signed by the issuing CA.
    const precertificate = new X509Certificate(
      b64(entry.extra_data).subarray(3, 3 + b64(entry.extra_data).readUIntBE(0, 3)),
    );
    assert.ok(precertificate.verify(issuerKey));
    assert.equal(precertificate.serialNumber, leaf.serialNumber);
  });

  it('proves each signed tree head consistent with the earlier ones', async () => {
    const first = await verifiedSth();
    await issueWith(authority);
    await issueWith(authority);
    const second = await verifiedSth();
    assert.equal(second.tree_size, first.tree_size + 2);
    const { body } = await get<{ consistency: string[] }>(
      `get-sth-consistency?first=${first.tree_size}&second=${second.tree_size}`,
    );
    verifyConsistency(
      first.tree_size,
      second.tree_size,
      body.consistency.map(b64),
      b64(first.sha256_root_hash),
      b64(second.sha256_root_hash),
    );
    const roots = await get<{ certificates: string[] }>('get-roots');
    const root = authority.chain[authority.chain.length - 1] as X509Certificate;
    assert.deepEqual(roots.body.certificates, [root.raw.toString('base64')]);
  });

  it('logs final certificates through add-chain', async () => {
    const leaf = await issueWith(authority);
    const chain = [leaf, ...authority.chain].map((cert) => cert.raw.toString('base64'));
    const answer = await post('add-chain', JSON.stringify({ chain }));
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const signed = merkleTreeLeaf({
      timestampMs: answer.body.timestamp as number,
      entryType: 0,
      certificate: leaf.raw,
    });
    assert.ok(verify('sha256', signed, ctLog.publicKey, b64(answer.body.signature as string).subarray(4)));
  });

  it('verifies chain[0] against a chain it already accepted, and a lookalike chain in full', async () => {
    await issueWith(authority); // our chain above chain[0] is now known to lead to the root
    const [intermediate, root] = authority.chain.map((cert) => cert.raw) as [Buffer, Buffer];
    const other = await createCaMaterial();
    await assert.rejects(
      ctLog.addPreChain([await precertificate(other, true), intermediate, root]),
      /chain\[0\] is not signed by chain\[1\]/,
    );
    // An intermediate with our intermediate's name, claiming our root, but signed by another key.
    const forger = keySigner(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
    const forged = new X509Certificate(
      await draftCertificate(
        {
          subject: { organization: 'sigil', commonName: 'sigil intermediate' },
          issuer: certificateIssuer(authority.chain[1] as X509Certificate),
          subjectPublicKey: other.signer.publicKey,
          notBefore: new Date(Date.now() - 60_000),
          notAfter: new Date(Date.now() + 3_600_000),
          ca: { pathLength: 0 },
          codeSigning: true,
        },
        forger,
      ).sign(),
    );
    const byForged = await precertificate({ ...other, chain: [forged, ...authority.chain.slice(1)] }, true);
    await assert.rejects(
      ctLog.addPreChain([byForged, forged.raw, root]),
      /chain\[1\] is not signed by chain\[2\]/,
    );
    await assert.rejects(
      ctLog.addPreChain([byForged, forged.raw]),
      /does not lead to a root this CT log accepts/,
    );
  });

  it('refuses submissions that are not a precertificate chain to its root, with the reason', async () => {
    const leaf = await issueWith(authority);
    const chainOf = (...certs: Buffer[]) => JSON.stringify({ chain: certs.map((c) => c.toString('base64')) });
    const intermediates = authority.chain.map((cert) => cert.raw);
    const cases: Array<[string, string, number, RegExp]> = [
      ['add-pre-chain', 'not json', 400, /./],
      ['add-pre-chain', '{"chain": []}', 400, /chain/],
      ['add-pre-chain', '{"chain": ["%%%"]}', 400, /chain\[0\] is not base64/],
      [
        'add-pre-chain',
        chainOf(Buffer.from('not a certificate')),
        400,
        /chain\[0\] is not a DER certificate/,
      ],
      ['add-pre-chain', chainOf(leaf.raw, ...intermediates), 400, /no CT poison extension/],
      [
        'add-pre-chain',
        chainOf(await precertificate(material, false), ...intermediates),
        400,
        /not marked critical/,
      ],
    ];
    const other = await createCaMaterial();
    cases.push([
      'add-pre-chain',
      chainOf(await precertificate(other, true), ...other.chain.map((c) => c.raw)),
      400,
      /does not lead to a root this CT log accepts/,
    ]);
    for (const [path, body, status, pattern] of cases) {
      const answer = await post(path, body);
      assert.equal(answer.status, status, `${body.slice(0, 40)}: ${JSON.stringify(answer.body)}`);
      assert.match(String(answer.body.message), pattern);
    }
    const size = (await verifiedSth()).tree_size;
    for (const [query, status, pattern] of [
      [`get-proof-by-hash?hash=${Buffer.alloc(32, 7).toString('base64')}&tree_size=${size}`, 404, /no entry/],
      [`get-proof-by-hash?hash=abc&tree_size=${size}`, 400, /hash/],
      [
        `get-proof-by-hash?hash=${Buffer.alloc(32).toString('base64')}&tree_size=${size + 1}`,
        400,
        /tree size/,
      ],
      [`get-entries?start=${size}&end=${size + 5}`, 400, /beyond the tree size/],
      ['get-entries?start=2&end=1', 400, /invalid range/],
      ['get-sth-consistency?first=x&second=1', 400, /first must be a non-negative integer/],
    ] as const) {
      const answer = await get<{ message: string }>(query);
      assert.equal(answer.status, status, `${query}: ${JSON.stringify(answer.body)}`);
      assert.match(answer.body.message, pattern);
    }
    assert.equal((await verifiedSth()).tree_size, size, 'refused submissions leave the tree as it was');
  });

  it('keeps every acknowledged entry across a restart', async () => {
    const before = await verifiedSth();
    await ca.close();
    await ctLog.close();
    ctLog = await embeddedCtLog(join(dir, 'ctlog.db'), material);
    authority = new CertificateAuthority(material, issuers(), ctLog);
    ca = await startCa(authority, '127.0.0.1', 0, ctLog);
    const after = await verifiedSth();
    assert.equal(after.tree_size, before.tree_size);
    assert.equal(after.sha256_root_hash, before.sha256_root_hash);
  });

  it('gets SCTs from an external log (--ct-log-url) and checks them against its key', async () => {
    const external = new CertificateAuthority(material, issuers(), ctLogClient(ca.url, ctLog.publicKey));
    const size = (await verifiedSth()).tree_size;
    const leaf = await issueWith(external);
    assert.ok(embeddedSct(leaf).logId.equals(ctLog.logId));
    assert.equal((await verifiedSth()).tree_size, size + 1);

    const wrongKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
    const distrusting = new CertificateAuthority(material, issuers(), ctLogClient(ca.url, wrongKey));
    await assert.rejects(
      () => issueWith(distrusting),
      (err) => isSigilError(err, 'SIGNATURE_MISMATCH') && /SCT/.test(err.message),
    );
    const down = new CertificateAuthority(
      material,
      issuers(),
      ctLogClient('http://127.0.0.1:9', ctLog.publicKey),
    );
    await assert.rejects(
      () => issueWith(down),
      (err) => isSigilError(err, 'SERVICE_UNREACHABLE'),
    );
  });
});

function embeddedSct(certificate: X509Certificate): {
  logId: Buffer;
  timestampMs: number;
  signature: Buffer;
} {
  const parsed = AsnConvert.parse(certificate.raw, Certificate);
  const extension = parsed.tbsCertificate.extensions?.find((ext) => ext.extnID === SCT_LIST_OID);
  assert.ok(extension, 'the certificate embeds an SCT list');
  const value = Buffer.from(extension.extnValue.buffer);
  // OCTET STRING (short or long length), then the TLS list: u16 list length, u16 SCT length, the SCT.
  const lengthByte = value[1] ?? 0;
  const tls = value.subarray(lengthByte & 0x80 ? 2 + (lengthByte & 0x7f) : 2);
  const sct = tls.subarray(4, 4 + tls.readUInt16BE(2));
  return {
    logId: sct.subarray(1, 33),
    timestampMs: Number(sct.readBigUInt64BE(33)),
    signature: sct.subarray(47, 47 + sct.readUInt16BE(45)),
  };
}

function tbsWithout(certificate: X509Certificate, oid: string): Buffer {
  const tbs = AsnConvert.parse(certificate.raw, Certificate).tbsCertificate;
  tbs.extensions = new Extensions((tbs.extensions ?? []).filter((ext) => ext.extnID !== oid));
  return Buffer.from(AsnConvert.serialize(tbs));
}

/** A precertificate issued by `material`'s intermediate, its poison extension critical or not. */
async function precertificate(material: CaMaterial, critical: boolean): Promise<Buffer> {
  const issuer = material.chain[0] as X509Certificate;
  const draft = draftCertificate(
    {
      subject: {},
      issuer: certificateIssuer(issuer),
      subjectPublicKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey as KeyObject,
      notBefore: new Date(),
      notAfter: new Date(Date.now() + 60_000),
      codeSigning: true,
      subjectAltNames: { email: 'x@example.com' },
    },
    material.signer,
  );
  draft.addExtension(POISON_OID, Buffer.from([0x05, 0x00]), critical);
  return draft.sign();
}
