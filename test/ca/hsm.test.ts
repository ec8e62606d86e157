/**
 * The CA on a PKCS#11 token as Fulcio's pkcs11ca keeps it: `ca init` (fulcio createca) certifies the token
 * key labelled PKCS11CA as a self-signed root and stores that certificate on the token under the
 * `--hsm-caroot-id`; loading reads both back, and issued leaves verify under the token's certificate.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign, X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { bundleFromJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import { decodeJwt } from 'jose';
import {
  CertificateAuthority,
  crypto11Ca,
  DEFAULT_HSM_KEY_LABEL,
  embeddedCtLog,
  initCaMaterial,
  loadCaMaterial,
  parseSigningCertRequest,
  type TokenCa,
  TokenVerifier,
} from '../../src/ca/index.js';
import { isSigilError } from '../../src/core/index.js';
import { keylessSigner, signBlob } from '../../src/cosign/index.js';
import { readTokenCertificate } from '../../src/crypto/index.js';
import { type RunningDevIssuer, startDevIssuer } from '../../src/oidc/index.js';
import { startStack } from '../../src/server/index.js';
import { RekorClient } from '../../src/tlog/index.js';
import { peerMissing } from '../helpers/peers.js';
import {
  createSoftToken,
  generateTokenKey,
  SOFTHSM_MODULE,
  type SoftToken,
  softhsmAvailable,
} from '../helpers/softhsm.js';

describe('CA key and certificate on a PKCS#11 token (Fulcio pkcs11ca)', {
  skip: peerMissing('softhsm2', softhsmAvailable),
}, () => {
  let token: SoftToken;
  let oidc: RunningDevIssuer;
  let dir: string;
  let config: string;
  const opened: TokenCa[] = [];
  const openCa = (rootId = '99', label = DEFAULT_HSM_KEY_LABEL, path = config) => {
    const ca = crypto11Ca(path, rootId, label);
    opened.push(ca);
    return ca;
  };

  before(async () => {
    token = createSoftToken('fulcio');
    generateTokenKey(token, DEFAULT_HSM_KEY_LABEL, Buffer.from([1]));
    generateTokenKey(token, 'other-key', Buffer.from([10]));
    dir = mkdtempSync(join(tmpdir(), 'sigil-hsm-ca-'));
    config = join(dir, 'crypto11.conf');
    writeFileSync(config, JSON.stringify({ Path: SOFTHSM_MODULE, TokenLabel: 'fulcio', Pin: token.pin }));
    oidc = await startDevIssuer('127.0.0.1', 0);
  });
  after(async () => {
    for (const ca of opened) ca.signer.close();
    await oidc.close();
  });

  it('init certifies the token key as a root stored on the token; issued leaves verify under it', async () => {
    const caDir = join(dir, 'ca');
    const created = await initCaMaterial(caDir, 'hsm-org', openCa());
    assert.ok(!existsSync(join(caDir, 'intermediate-key.pem')), 'the token key never leaves the token');
    assert.equal(created.chain.length, 1);
    const onToken = readTokenCertificate(
      { modulePath: SOFTHSM_MODULE, token: 'fulcio', pin: token.pin },
      Buffer.from('99'),
      'test',
    );
    assert.ok(
      onToken?.equals(created.chain[0]?.raw as Buffer),
      'the root certificate is on the token under ID "99"',
    );

    const material = await loadCaMaterial(caDir, openCa());
    const authority = new CertificateAuthority(
      material,
      new TokenVerifier([{ issuerUrl: oidc.issuers.email, clientId: 'sigstore', type: 'email' }]),
      await embeddedCtLog(':memory:', material),
    );
    const idToken = await oidc.mint({ kind: 'email' });
    const key = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const request = parseSigningCertRequest({
      credentials: { oidcIdentityToken: idToken },
      publicKeyRequest: {
        publicKey: { content: key.publicKey.export({ type: 'spki', format: 'pem' }) },
        proofOfPossession: sign(
          'sha256',
          Buffer.from(String(decodeJwt(idToken).email)),
          key.privateKey,
        ).toString('base64'),
      },
    });
    const issued = await authority.issue(request);
    const [leaf, root] = issued.chain.map((pem) => new X509Certificate(pem));
    assert.equal(issued.chain.length, 2);
    assert.ok(leaf && root);
    assert.ok(leaf.verify(root.publicKey), 'leaf signed by the token key');
    assert.ok(root.verify(root.publicKey), 'self-signed root');
  });

  it('init refuses a certificate ID already on the token, as fulcio createca does', async () => {
    await assert.rejects(
      initCaMaterial(join(dir, 'ca-again'), 'hsm-org', openCa()),
      (err) => isSigilError(err, 'FILE_EXISTS') && /certificate ID "99"/.test(err.message),
    );
    assert.ok(!existsSync(join(dir, 'ca-again', 'chain.pem')), 'nothing half-written');
  });

  it('loading names a certificate ID that is not on the token', async () => {
    await assert.rejects(
      loadCaMaterial(join(dir, 'ca'), openCa('42')),
      (err) => isSigilError(err, 'NOT_FOUND') && /certificate ID "42"/.test(err.message),
    );
  });

  it('sigil serve runs on the token CA; its keyless bundles verify with @sigstore/verify', async () => {
    const dataDir = join(dir, 'stack');
    const stack = await startStack({ dataDir, host: '127.0.0.1', tokenCa: openCa('7') });
    try {
      const rootJson = JSON.parse(readFileSync(stack.trustedRootPath, 'utf8'));
      const caChain = rootJson.certificateAuthorities[0].certChain.certificates;
      assert.equal(caChain.length, 1, 'the token certificate is the whole chain');
      const artifact = Buffer.from('signed under a token CA');
      const idToken = await stack.mintToken({ kind: 'email' });
      const signed = await signBlob(
        await keylessSigner(stack.urls.ca, idToken),
        artifact,
        'sigstore',
        new RekorClient(stack.urls.tlog),
      );
      const verifier = new Verifier(toTrustMaterial(TrustedRoot.fromJSON(rootJson)));
      verifier.verify(toSignedEntity(bundleFromJSON(JSON.parse(signed.bundle ?? '')), artifact));
      assert.throws(() =>
        verifier.verify(
          toSignedEntity(bundleFromJSON(JSON.parse(signed.bundle ?? '')), Buffer.from('other')),
        ),
      );
    } finally {
      await stack.close();
    }
  });

  it('refuses to serve with a token key that is not the certificate’s', async () => {
    await assert.rejects(
      loadCaMaterial(join(dir, 'ca'), openCa('99', 'other-key')),
      (err) => isSigilError(err, 'BAD_KEY') && /not the key of the first certificate/.test(err.message),
    );
  });

  it('a wrong PIN, a missing key label and a malformed config are clear errors', () => {
    const wrongPin = join(dir, 'wrong-pin.conf');
    writeFileSync(wrongPin, JSON.stringify({ Path: SOFTHSM_MODULE, TokenLabel: 'fulcio', Pin: '0000' }));
    assert.throws(
      () => openCa('99', DEFAULT_HSM_KEY_LABEL, wrongPin),
      (err) => isSigilError(err, 'BAD_PASSWORD'),
    );
    assert.throws(
      () => openCa('99', 'absent'),
      (err) => isSigilError(err, 'NOT_FOUND') && /absent/.test(err.message),
    );
    const malformed = join(dir, 'bad.conf');
    writeFileSync(malformed, '{"TokenLabel": "fulcio"}');
    assert.throws(
      () => openCa('99', DEFAULT_HSM_KEY_LABEL, malformed),
      (err) => isSigilError(err, 'BAD_INPUT') && /Path/.test(err.message),
    );
  });
});
