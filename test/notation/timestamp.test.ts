/**
 * RFC 3161 countersignatures of Notation signatures, from sigil's own TSA (`sigil tsa serve`'s
 * server), checked as the trust policy's authenticTimestamp: trusted and untrusted TSAs, a token over
 * other bytes, expired signing certificates with and without a timestamp, and a revoked TSA.
 */
import assert from 'node:assert/strict';
import { randomBytes, type X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { requireCertificates } from '../../src/crypto/index.js';
import {
  type AuthenticTimestampInput,
  checkAuthenticTimestamp,
  requestTimestampToken,
  tokenOfResponse,
  verifyTimestampToken,
} from '../../src/notation/timestamp.js';
import { createTsaMaterial, type RunningTsa, requestTimestamp, startTsa } from '../../src/tsa/index.js';
import {
  type FileServer,
  generateCrl,
  type Issued,
  issue,
  makeCa,
  revoke,
  startFileServer,
} from '../helpers/openssl-pki.js';

const DAY = 86_400_000;

describe('notation timestamp countersignatures', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sigil-notation-tsa-'));
  const tsas: RunningTsa[] = [];
  let tsa: RunningTsa;
  let tsaRoot: X509Certificate;
  let otherTsaRoot: X509Certificate;
  let earlyTsa: RunningTsa; // its clock runs two minutes behind
  let revokedTsa: RunningTsa;
  let revokedTsaRoot: X509Certificate;
  let crls: FileServer;
  let signingCa: Issued;
  let signingLeaf: Issued;
  let freshLeaf: Issued; // valid from now on
  const signature = randomBytes(64);

  const rootOf = (chainPem: string) => requireCertificates(chainPem, 'TSA chain').at(-1) as X509Certificate;

  before(async () => {
    const material = await createTsaMaterial();
    tsa = await startTsa({ host: '127.0.0.1', port: 0, ...material });
    tsaRoot = rootOf(material.chainPem);
    otherTsaRoot = rootOf((await createTsaMaterial({ commonName: 'other tsa' })).chainPem);
    earlyTsa = await startTsa({
      host: '127.0.0.1',
      port: 0,
      ...material,
      now: () => new Date(Date.now() - 120_000),
    });

    // A TSA whose leaf its CA has revoked (CRL served over HTTP).
    crls = await startFileServer();
    const tsaCa = makeCa(dir, 'tsa-ca');
    const revokedLeaf = issue(dir, tsaCa, 'revoked-tsa', {
      crl: [`${crls.url}/tsa-ca.crl`],
      extensions: ['extendedKeyUsage=critical,timeStamping'],
    });
    revoke(dir, tsaCa, revokedLeaf);
    crls.files.set('/tsa-ca.crl', generateCrl(dir, tsaCa));
    revokedTsa = await startTsa({
      host: '127.0.0.1',
      port: 0,
      chainPem: readFileSync(revokedLeaf.cert, 'utf8') + readFileSync(tsaCa.cert, 'utf8'),
      keyPem: readFileSync(revokedLeaf.key, 'utf8'),
    });
    revokedTsaRoot = tsaCa.x509;
    tsas.push(tsa, earlyTsa, revokedTsa);

    signingCa = makeCa(dir, 'signing-ca');
    signingLeaf = issue(dir, signingCa, 'signer', {});
    freshLeaf = issue(dir, signingCa, 'fresh-signer', { backdateSeconds: 0 });
  });

  after(async () => {
    await Promise.all(tsas.map((running) => running.close()));
    await crls.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const chain = () => [signingLeaf.x509, signingCa.x509];
  const token = (from = tsa, roots = [tsaRoot]) =>
    requestTimestampToken(from.url, signature, { hash: 'sha256', tsaRoots: roots });
  const check = async (overrides: Partial<AuthenticTimestampInput>) =>
    checkAuthenticTimestamp({
      signingScheme: 'notary.x509',
      signingChain: chain(),
      signature,
      tsaRoots: [tsaRoot],
      ...overrides,
    });

  it('requests a token from sigil TSA and verifies it as authenticTimestamp', async () => {
    const result = await check({ timestampToken: await token() });
    assert.ok(result.timestamp);
    assert.equal(result.timestamp.tsaChain.length, 2);
    assert.ok(result.timestamp.upper.getTime() - result.timestamp.lower.getTime() === 2000);
  });

  it('the token is a bare TimeStampToken (CMS ContentInfo), as notation embeds it', async () => {
    const der = await token();
    assert.equal(der[0], 0x30);
    assert.doesNotThrow(() => verifyTimestampToken(der, signature, [tsaRoot]));
  });

  it('refuses a token from an untrusted TSA', async () => {
    await assert.rejects(
      check({ timestampToken: await token(), tsaRoots: [otherTsaRoot] }),
      /does not chain to a root of the tsa trust store/,
    );
    await assert.rejects(token(tsa, [otherTsaRoot]), /does not chain to a root of the tsa trust store/);
  });

  it('refuses a token over different bytes', async () => {
    await assert.rejects(
      check({ timestampToken: await token(), signature: randomBytes(64) }),
      /over other bytes than the signature/,
    );
  });

  it('refuses a tampered token', async () => {
    const der = Buffer.from(await token());
    der[der.length - 3] = (der[der.length - 3] ?? 0) ^ 0x01;
    await assert.rejects(check({ timestampToken: der }), /timestamp countersignature:/);
  });

  it('refuses a signature without a token when a tsa trust store is configured', async () => {
    await assert.rejects(check({}), /no timestamp countersignature was found in the signature envelope/);
  });

  it('verifyTimestamp afterCertExpiry skips the timestamp while the chain is valid', async () => {
    await check({ verifyTimestamp: 'afterCertExpiry', timestampToken: Buffer.from('not a token') });
  });

  it('an expired signing certificate with a timestamp from its validity is accepted', async () => {
    const later = new Date(Date.now() + 30 * DAY);
    const result = await check({
      timestampToken: await token(),
      now: later,
      verifyTimestamp: 'afterCertExpiry',
    });
    assert.ok(result.timestamp);
  });

  it('refuses an expired signing certificate without a timestamp', async () => {
    const later = new Date(Date.now() + 30 * DAY);
    await assert.rejects(
      check({ tsaRoots: undefined, now: later }),
      /verification time is after certificate "CN=signer,O=sigil test,C=US" validity period/,
    );
  });

  it('refuses a timestamp from before the signing certificate was valid', async () => {
    const early = await requestTimestampToken(earlyTsa.url, signature, {
      hash: 'sha256',
      tsaRoots: [tsaRoot],
    });
    await assert.rejects(
      check({ timestampToken: early, signingChain: [freshLeaf.x509, signingCa.x509] }),
      /timestamp can be before certificate "CN=fresh-signer/,
    );
  });

  it('refuses a timestamp whose TSA certificate is revoked, when signing and when verifying', async () => {
    const revokedToken = tokenOfResponse(Buffer.from(await requestTimestamp(revokedTsa.url, signature)));
    await assert.rejects(token(revokedTsa, [revokedTsaRoot]), /is revoked/);
    await assert.rejects(
      check({ timestampToken: revokedToken, tsaRoots: [revokedTsaRoot] }),
      /timestamping certificate with subject "CN=revoked-tsa,O=sigil test,C=US" is revoked/,
    );
  });

  it('signingAuthority: the signed signing time must lie within the chain', async () => {
    await checkAuthenticTimestamp({
      signingScheme: 'notary.x509.signingAuthority',
      signingChain: chain(),
      signature,
      signingTime: new Date(),
    });
    await assert.rejects(
      checkAuthenticTimestamp({
        signingScheme: 'notary.x509.signingAuthority',
        signingChain: chain(),
        signature,
        signingTime: new Date(Date.now() - 30 * DAY),
      }),
      /was not valid when the signature was produced/,
    );
  });
});
