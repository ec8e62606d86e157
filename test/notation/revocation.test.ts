/**
 * Revocation of Notation certificate chains against real responders: OpenSSL's OCSP responder over
 * `openssl ca` databases, and CRLs made by `openssl ca -gencrl` served over HTTP.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checkChainRevocation, verifyChainRevocation } from '../../src/notation/revocation.js';
import {
  type FileServer,
  generateCrl,
  generateDeltaCrl,
  type Issued,
  issue,
  makeCa,
  type OcspResponder,
  revoke,
  startFileServer,
  startOcspResponder,
} from '../helpers/openssl-pki.js';
import { freePort } from '../helpers/ports.js';

describe('notation revocation (OCSP and CRL)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sigil-revocation-'));
  const responders: OcspResponder[] = [];
  let crls: FileServer;
  let root: Issued;
  let otherCa: Issued;
  const leaves: Record<string, Issued> = {};
  let intermediate: Issued;
  let underIntermediate: Issued;
  let ocspGood: string; // delegated responder, nextUpdate in 10 minutes
  let ocspByCa: string; // signed by the CA itself
  let ocspRogue: string; // signed by a responder another CA issued
  let ocspNoNextUpdate: string;
  let ocspDown: string;
  const compromisedAt = new Date(Date.now() - 3600_000);

  before(async () => {
    crls = await startFileServer();
    const ports = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
    [ocspGood, ocspByCa, ocspRogue, ocspNoNextUpdate, ocspDown] = ports.map(
      (port) => `http://127.0.0.1:${port}`,
    ) as [string, string, string, string, string];
    root = makeCa(dir, 'root');
    otherCa = makeCa(dir, 'other-ca');
    const ocspEku = ['extendedKeyUsage=critical,OCSPSigning'];
    const responder = issue(dir, root, 'responder', { extensions: ocspEku });
    const rogueResponder = issue(dir, otherCa, 'rogue-responder', { extensions: ocspEku });
    const crl = `${crls.url}/root.crl`;
    const make = (name: string, options: Parameters<typeof issue>[3]) => {
      leaves[name] = issue(dir, root, name, options);
    };
    make('good', { ocsp: [ocspGood], crl: [crl] });
    make('revoked', { ocsp: [ocspGood] });
    make('by-ca', { ocsp: [ocspByCa] });
    make('rogue', { ocsp: [ocspRogue] });
    make('no-next-update', { ocsp: [ocspNoNextUpdate] });
    make('down-with-crl', { ocsp: [ocspDown], crl: [crl] });
    make('down', { ocsp: [ocspDown] });
    make('down-then-good', { ocsp: [ocspDown, ocspGood] });
    make('not-in-index', { ocsp: [ocspGood], record: false });
    make('crl-good', { crl: [crl] });
    make('crl-revoked', { crl: [crl] });
    make('crl-hold', { crl: [crl] });
    make('crl-tampered', { crl: [`${crls.url}/tampered.crl`] });
    make('crl-other-ca', { crl: [`${crls.url}/other.crl`] });
    make('crl-stale', { crl: [`${crls.url}/stale.crl`] });
    make('crl-missing', { crl: [`${crls.url}/missing.crl`] });
    make('no-endpoints', {});
    make('compromised-ocsp', { ocsp: [ocspGood] });
    make('compromised-crl', { crl: [crl] });
    intermediate = issue(dir, root, 'intermediate', { ca: true, crl: [crl] });
    underIntermediate = issue(dir, intermediate, 'under-intermediate', {});
    for (const name of ['revoked', 'crl-revoked']) revoke(dir, root, leaves[name] as Issued);
    revoke(dir, root, leaves['crl-hold'] as Issued, 'certificateHold');
    revoke(dir, root, intermediate);
    for (const name of ['compromised-ocsp', 'compromised-crl']) {
      revoke(dir, root, leaves[name] as Issued, 'keyCompromise', compromisedAt);
    }

    const rootCrl = generateCrl(dir, root);
    crls.files.set('/root.crl', rootCrl);
    const tampered = Buffer.from(rootCrl);
    tampered[tampered.length - 5] = (tampered[tampered.length - 5] ?? 0) ^ 0xff; // inside the signature
    crls.files.set('/tampered.crl', tampered);
    crls.files.set('/other.crl', generateCrl(dir, otherCa));
    crls.files.set('/stale.crl', generateCrl(dir, root, 1));

    responders.push(
      await startOcspResponder(dir, root, responder, Number(new URL(ocspGood).port), 10),
      await startOcspResponder(dir, root, root, Number(new URL(ocspByCa).port), 10),
      await startOcspResponder(dir, root, rogueResponder, Number(new URL(ocspRogue).port), 10),
      await startOcspResponder(dir, root, responder, Number(new URL(ocspNoNextUpdate).port)),
    );
  });

  after(async () => {
    await Promise.all(responders.map((responder) => responder.stop()));
    await crls.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const chainOf = (name: string) => [(leaves[name] as Issued).x509, root.x509];
  const verdict = (name: string, options = {}) =>
    verifyChainRevocation(chainOf(name), 'codeSigning', options);

  it('good: OCSP from a delegated responder says good; the root is not revokable', async () => {
    const [leaf, top] = await checkChainRevocation(chainOf('good'));
    assert.deepEqual(
      { status: leaf?.status, method: leaf?.method, servers: leaf?.servers.length },
      { status: 'ok', method: 'ocsp', servers: 1 },
    );
    assert.equal(top?.status, 'nonRevokable');
    assert.deepEqual(await verdict('good'), { status: 'ok', details: [] });
  });

  it('good: OCSP signed by the issuing CA itself', async () => {
    assert.equal((await verdict('by-ca')).status, 'ok');
  });

  it('revoked: OCSP says revoked', async () => {
    const result = await verdict('revoked');
    assert.equal(result.status, 'revoked');
    assert.equal(
      result.message,
      'signing certificate with subject "CN=revoked,O=sigil test,C=US" is revoked',
    );
  });

  it('revoked: an invalidity date is not needed; a signing time does not spare a revocation without one', async () => {
    assert.equal(
      (await verdict('revoked', { signingTime: new Date(Date.now() - 60_000) })).status,
      'revoked',
    );
  });

  it('invalidity date: a signature authentically made before the key was compromised stands (OCSP and CRL)', async () => {
    for (const name of ['compromised-ocsp', 'compromised-crl']) {
      const before = new Date(compromisedAt.getTime() - 60_000);
      const afterwards = new Date(compromisedAt.getTime() + 60_000);
      assert.equal((await verdict(name)).status, 'revoked', name);
      assert.equal((await verdict(name, { signingTime: before })).status, 'ok', name);
      assert.equal((await verdict(name, { signingTime: afterwards })).status, 'revoked', name);
    }
  });

  it('unknown: the responder does not know the certificate', async () => {
    const result = await verdict('not-in-index');
    assert.equal(result.status, 'unknown');
    assert.match(result.details.join('\n'), /does not know the certificate/);
  });

  it('unknown: the OCSP responder is down, and nothing else is named', async () => {
    const result = await verdict('down');
    assert.equal(result.status, 'unknown');
    assert.equal(
      result.message,
      'signing certificate with subject "CN=down,O=sigil test,C=US" revocation status is unknown',
    );
  });

  it('fallback: the OCSP responder is down, the CRL decides', async () => {
    const [leaf] = await checkChainRevocation(chainOf('down-with-crl'));
    assert.equal(leaf?.status, 'ok');
    assert.equal(leaf?.method, 'ocspFallbackCrl');
    assert.deepEqual(
      leaf?.servers.map((server) => [server.method, server.status]),
      [
        ['ocsp', 'unknown'],
        ['crl', 'ok'],
      ],
    );
  });

  it('the next OCSP URL is tried when the first is down', async () => {
    assert.equal((await verdict('down-then-good')).status, 'ok');
  });

  it('stale: a response past its nextUpdate is unknown', async () => {
    const result = await verdict('good', { now: new Date(Date.now() + 30 * 60_000) });
    // The OCSP answer is stale and the CRL (nextUpdate in 24 h) is still fresh: the fallback decides.
    const [leaf] = await checkChainRevocation(chainOf('good'), { now: new Date(Date.now() + 30 * 60_000) });
    assert.match(leaf?.servers[0]?.error ?? '', /expired OCSP response/);
    assert.equal(result.status, 'ok');
    assert.equal((await verdict('by-ca', { now: new Date(Date.now() + 30 * 60_000) })).status, 'unknown');
  });

  it('stale: a response without nextUpdate is unknown, as notation treats it as expired', async () => {
    const result = await verdict('no-next-update');
    assert.equal(result.status, 'unknown');
    assert.match(result.details.join('\n'), /no nextUpdate/);
  });

  it('wrong key: a response signed by a responder another CA issued is unknown', async () => {
    const result = await verdict('rogue');
    assert.equal(result.status, 'unknown');
    assert.match(
      result.details.join('\n'),
      /not signed by the issuing CA nor by a responder certificate it carries|not issued by/,
    );
  });

  it('CRL: good, revoked, and on hold', async () => {
    assert.equal((await verdict('crl-good')).status, 'ok');
    assert.equal((await verdict('crl-revoked')).status, 'revoked');
    assert.equal((await verdict('crl-hold')).status, 'revoked');
  });

  it('CRL: a bad signature is unknown', async () => {
    const result = await verdict('crl-tampered');
    assert.equal(result.status, 'unknown');
    assert.match(result.details.join('\n'), /is not signed by the issuing CA/);
  });

  it('CRL: a CRL of another CA is unknown', async () => {
    assert.match((await verdict('crl-other-ca')).details.join('\n'), /is not signed by the issuing CA/);
  });

  it('CRL: expired (past nextUpdate) is unknown', async () => {
    const result = await verdict('crl-stale', { now: new Date(Date.now() + 2 * 3600_000) });
    assert.equal(result.status, 'unknown');
    assert.match(result.details.join('\n'), /expired at/);
  });

  it('CRL: a distribution point that answers 404 is unknown', async () => {
    assert.match((await verdict('crl-missing')).details.join('\n'), /404/);
  });

  it('no endpoints: nothing to check is ok', async () => {
    const [leaf] = await checkChainRevocation(chainOf('no-endpoints'));
    assert.equal(leaf?.status, 'nonRevokable');
    assert.equal((await verdict('no-endpoints')).status, 'ok');
  });

  it('a revoked intermediate revokes the chain, named in the verdict', async () => {
    const result = await verifyChainRevocation(
      [underIntermediate.x509, intermediate.x509, root.x509],
      'timestamping',
    );
    assert.equal(result.status, 'revoked');
    assert.equal(
      result.message,
      'timestamping certificate with subject "CN=intermediate,O=sigil test,C=US" is revoked',
    );
  });

  it('refuses a chain whose certificates do not follow each other', async () => {
    await assert.rejects(
      checkChainRevocation([(leaves.good as Issued).x509, otherCa.x509]),
      /is not issued by the next one/,
    );
  });
});

describe('notation revocation with delta CRLs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sigil-delta-crl-'));
  let crls: FileServer;
  let ca: Issued;
  let good: Issued;
  let revokedInDelta: Issued;

  before(async () => {
    crls = await startFileServer();
    ca = makeCa(dir, 'delta-ca');
    const crl = [`${crls.url}/base.crl`];
    good = issue(dir, ca, 'delta-good', { crl });
    revokedInDelta = issue(dir, ca, 'delta-revoked', { crl });
    // The base CRL (number 0x1000, from openssl ca) names the delta; the delta revokes one more serial.
    crls.files.set('/base.crl', generateCrl(dir, ca, 24, `${crls.url}/delta.crl`));
    crls.files.set(
      '/delta.crl',
      await generateDeltaCrl(ca, [revokedInDelta.x509.serialNumber], 0x1001n, 0x1000n),
    );
    crls.files.set('/stale-delta.crl', await generateDeltaCrl(ca, [], 0x1001n, 0x1000n, 1));
  });
  after(async () => {
    await crls.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const status = async (leaf: Issued, now?: Date) =>
    (await verifyChainRevocation([leaf.x509, ca.x509], 'codeSigning', now ? { now } : {})).status;

  it('a serial revoked in the delta CRL is revoked; others stay good', async () => {
    assert.equal(await status(revokedInDelta), 'revoked');
    assert.equal(await status(good), 'ok');
  });

  it('an expired delta CRL makes the status unknown', async () => {
    crls.files.set('/delta.crl', crls.files.get('/stale-delta.crl') as Buffer);
    const result = await verifyChainRevocation([good.x509, ca.x509], 'codeSigning', {
      now: new Date(Date.now() + 2 * 3600_000),
    });
    assert.equal(result.status, 'unknown');
    assert.match(result.details.join('\n'), /delta CRL expired at/);
  });

  it('a delta CRL that does not follow its base is unknown', async () => {
    crls.files.set('/delta.crl', await generateDeltaCrl(ca, [], 0x0fffn, 0x1000n));
    assert.equal(await status(good), 'unknown');
  });
});
