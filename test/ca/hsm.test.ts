/**
 * The CA's intermediate key on a PKCS#11 token (Fulcio's pkcs11ca): `ca init` certifies the token key and
 * writes no intermediate-key.pem; loading with the token key issues leaves that verify under the chain.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign, X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import {
  CertificateAuthority,
  embeddedCtLog,
  initCaMaterial,
  loadCaMaterial,
  parseSigningCertRequest,
  TokenVerifier,
} from '../../src/ca/index.js';
import { isSigilError } from '../../src/core/index.js';
import { crypto11Signer, type Pkcs11Signer } from '../../src/crypto/index.js';
import { type RunningDevIssuer, startDevIssuer } from '../../src/oidc/index.js';
import { peerMissing } from '../helpers/peers.js';
import {
  createSoftToken,
  generateTokenKey,
  SOFTHSM_MODULE,
  type SoftToken,
  softhsmAvailable,
} from '../helpers/softhsm.js';

describe('CA with its intermediate key on a PKCS#11 token', {
  skip: peerMissing('softhsm2', softhsmAvailable),
}, () => {
  let token: SoftToken;
  let oidc: RunningDevIssuer;
  let dir: string;
  let config: string;
  const signers: Pkcs11Signer[] = [];
  const openKey = (label = 'fulcio-ca', path = config) => {
    const signer = crypto11Signer(path, label);
    signers.push(signer);
    return signer;
  };

  before(async () => {
    token = createSoftToken('fulcio');
    generateTokenKey(token, 'fulcio-ca', Buffer.from([9]));
    generateTokenKey(token, 'other-key', Buffer.from([10]));
    dir = mkdtempSync(join(tmpdir(), 'sigil-hsm-ca-'));
    config = join(dir, 'crypto11.conf');
    writeFileSync(config, JSON.stringify({ Path: SOFTHSM_MODULE, TokenLabel: 'fulcio', Pin: token.pin }));
    oidc = await startDevIssuer('127.0.0.1', 0);
  });
  after(async () => {
    for (const signer of signers) signer.close();
    await oidc.close();
  });

  it('init certifies the token key as the intermediate; issued leaves verify under the chain', async () => {
    const caDir = join(dir, 'ca');
    const created = await initCaMaterial(caDir, 'hsm-org', openKey());
    assert.ok(!existsSync(join(caDir, 'intermediate-key.pem')), 'the token key never leaves the token');
    assert.ok(created.chain[0]?.publicKey.equals(created.signer.publicKey));

    const material = await loadCaMaterial(caDir, openKey());
    const authority = new CertificateAuthority(
      material,
      new TokenVerifier([{ issuerUrl: oidc.issuers.email, clientId: 'sigstore', type: 'email' }]),
      await embeddedCtLog(':memory:', material),
    );
    const token = await oidc.mint({ kind: 'email' });
    const key = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const request = parseSigningCertRequest({
      credentials: { oidcIdentityToken: token },
      publicKeyRequest: {
        publicKey: { content: key.publicKey.export({ type: 'spki', format: 'pem' }) },
        proofOfPossession: sign(
          'sha256',
          Buffer.from(String(decodeJwt(token).email)),
          key.privateKey,
        ).toString('base64'),
      },
    });
    const issued = await authority.issue(request);
    const [leaf, intermediate, root] = issued.chain.map((pem) => new X509Certificate(pem));
    assert.ok(leaf && intermediate && root);
    assert.ok(leaf.verify(intermediate.publicKey), 'leaf signed by the token key');
    assert.ok(intermediate.verify(root.publicKey));
    assert.ok(!leaf.verify(root.publicKey));
  });

  it('refuses to serve with a token key that is not the chain’s intermediate', async () => {
    await assert.rejects(
      loadCaMaterial(join(dir, 'ca'), openKey('other-key')),
      (err) => isSigilError(err, 'BAD_KEY') && /not the key of the first certificate/.test(err.message),
    );
  });

  it('a wrong PIN, a missing key label and a malformed config are clear errors', () => {
    const wrongPin = join(dir, 'wrong-pin.conf');
    writeFileSync(wrongPin, JSON.stringify({ Path: SOFTHSM_MODULE, TokenLabel: 'fulcio', Pin: '0000' }));
    assert.throws(
      () => openKey('fulcio-ca', wrongPin),
      (err) => isSigilError(err, 'BAD_PASSWORD'),
    );
    assert.throws(
      () => openKey('absent'),
      (err) => isSigilError(err, 'NOT_FOUND') && /absent/.test(err.message),
    );
    const malformed = join(dir, 'bad.conf');
    writeFileSync(malformed, '{"TokenLabel": "fulcio"}');
    assert.throws(
      () => openKey('fulcio-ca', malformed),
      (err) => isSigilError(err, 'BAD_INPUT') && /Path/.test(err.message),
    );
  });
});
