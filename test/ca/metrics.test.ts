/** The CA's /metrics and /healthz: certificates issued and refused by reason, issuance latency, CT log size. */
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  CertificateAuthority,
  type CtLog,
  createCaMaterial,
  embeddedCtLog,
  type RunningCa,
  startCa,
  TokenVerifier,
} from '../../src/ca/index.js';
import { type RunningDevIssuer, startDevIssuer } from '../../src/oidc/index.js';
import { sample, scrape } from '../helpers/metrics.js';

describe('CA metrics', () => {
  let oidc: RunningDevIssuer;
  let stranger: RunningDevIssuer;
  let ca: RunningCa;
  let ctLog: CtLog;

  before(async () => {
    oidc = await startDevIssuer('127.0.0.1', 0);
    stranger = await startDevIssuer('127.0.0.1', 0);
    const material = await createCaMaterial();
    ctLog = await embeddedCtLog(':memory:', material);
    const tokens = new TokenVerifier([
      { issuerUrl: oidc.issuers.email, clientId: 'sigstore', type: 'email' },
    ]);
    ca = await startCa(new CertificateAuthority(material, tokens, ctLog), '127.0.0.1', 0, ctLog);
  });
  after(async () => {
    await ca.close();
    await ctLog.close();
    await oidc.close();
    await stranger.close();
  });

  const requestCertificate = async (token: string) => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const response = await fetch(`${ca.url}/api/v2/signingCert`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        credentials: { oidcIdentityToken: token },
        publicKeyRequest: {
          publicKey: { algorithm: 'ECDSA', content: publicKey.export({ type: 'spki', format: 'pem' }) },
          proofOfPossession: sign('sha256', Buffer.from('dev@example.com'), privateKey).toString('base64'),
        },
      }),
    });
    await response.arrayBuffer();
    return response.status;
  };

  it('counts an issued certificate, its latency and the CT log entry it made', async () => {
    const before = await scrape(ca.url);
    assert.equal(sample(before, 'sigil_ca_certificates_issued_total'), 0);
    assert.equal(sample(before, 'sigil_ca_ct_log_tree_size'), 0);
    assert.equal(await requestCertificate(await oidc.mint({ kind: 'email', email: 'dev@example.com' })), 200);
    const text = await scrape(ca.url);
    assert.equal(sample(text, 'sigil_ca_certificates_issued_total'), 1);
    assert.equal(sample(text, 'sigil_ca_issuance_duration_seconds_count'), 1);
    assert.equal(sample(text, 'sigil_ca_ct_log_tree_size'), 1);
  });

  it('counts refusals by reason: a token from an unknown issuer, a malformed request', async () => {
    const foreign = await stranger.mint({ kind: 'email', email: 'dev@example.com' });
    assert.equal(await requestCertificate(foreign), 401);
    const malformed = await fetch(`${ca.url}/api/v2/signingCert`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"credentials":',
    });
    assert.equal(malformed.status, 400);
    await malformed.arrayBuffer();
    const text = await scrape(ca.url);
    assert.equal(sample(text, 'sigil_ca_certificates_refused_total', { reason: 'bad_token' }), 1);
    assert.equal(sample(text, 'sigil_ca_certificates_refused_total', { reason: 'invalid' }), 1);
    assert.equal(sample(text, 'sigil_ca_certificates_issued_total'), 1);
  });

  it('answers /healthz, saying whether it integrates its own CT log', async () => {
    const response = await fetch(`${ca.url}/healthz`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: 'ok', ctLogIntegrating: true });
  });
});
