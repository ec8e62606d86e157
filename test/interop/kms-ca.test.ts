/**
 * The private Sigstore's CA key in a KMS, as Fulcio's kmsca: `sigil ca init --kms-resource awskms://...`
 * certifies the local-kms key as a self-signed root (chain.pem; no CA key on disk), `sigil ca serve` with
 * the same flags issues through it, and a keyless signature's certificate chains to that chain.pem. A
 * chain whose first certificate is not the KMS key's is refused before serving.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { createPublicKey, X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type RunningDevIssuer, startDevIssuer } from '../../src/oidc/index.js';
import { startSigilServer } from '../helpers/admission-serve.js';
import { errorLine, sigil, workDir } from '../helpers/cli.js';
import { ok } from '../helpers/kms-interop-suite.js';
import { type KmsServer, localKmsPeer, startLocalKms } from '../helpers/kms-servers.js';
import { freePort } from '../helpers/ports.js';

const peer = localKmsPeer();
const CA_KEY = 'awskms:///alias/sigil-ca';
const OTHER_KEY = 'awskms:///alias/not-the-ca';
const EMAIL = 'ops@example.com';

describe('the CA signs with a KMS key (ca init/serve --kms-resource)', { skip: peer.skip }, () => {
  let kms: KmsServer;
  let oidc: RunningDevIssuer;
  let dir: string;
  let server: ChildProcess | undefined;
  const run = (...args: string[]) => sigil(args, { cwd: dir, env: kms.env });

  before(async () => {
    dir = await workDir();
    kms = await startLocalKms(peer.path);
    oidc = await startDevIssuer('127.0.0.1', 0);
    const config = { OIDCIssuers: { [oidc.issuers.email]: { ClientID: 'sigstore', Type: 'email' } } };
    await writeFile(join(dir, 'fulcio.json'), JSON.stringify(config));
    for (const key of [CA_KEY, OTHER_KEY]) {
      ok(await run('generate-key-pair', '--kms', key, '--output-key-prefix', key.slice(-5)), key);
    }
    ok(await run('ca', 'init', '--data-dir', 'ca', '--kms-resource', CA_KEY), 'ca init');
  });
  after(async () => {
    server?.kill();
    await oidc?.close();
    await kms?.stop();
  });

  it('init writes a root for the KMS key and no CA key; a keyless signature chains to it', async () => {
    const chain = await readFile(join(dir, 'ca', 'chain.pem'), 'utf8');
    const root = new X509Certificate(chain);
    const caPublicKey = await readFile(join(dir, `${CA_KEY.slice(-5)}.pub`), 'utf8');
    assert.equal(root.publicKey.export({ type: 'spki', format: 'pem' }), caPublicKey);
    assert.ok(root.verify(root.publicKey), 'self-signed');
    assert.equal(existsSync(join(dir, 'ca', 'intermediate-key.pem')), false);

    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    server = await startSigilServer(
      ['ca', 'serve', '--addr', `127.0.0.1:${port}`, '--data-dir', 'ca', '--config', 'fulcio.json'].concat([
        '--kms-resource',
        CA_KEY,
        '--kms-cert-chain-path',
        join('ca', 'chain.pem'),
      ]),
      dir,
      'certificate authority listening on',
      kms.env,
    );
    await writeFile(join(dir, 'artifact.txt'), 'signed through a KMS-held CA');
    const token = await oidc.mint({ kind: 'email', email: EMAIL });
    ok(
      await run(
        'sign-blob',
        '--yes',
        '--fulcio-url',
        url,
        '--identity-token',
        token,
        '--tlog-upload=false',
        '--bundle',
        'artifact.sigstore.json',
        'artifact.txt',
      ),
      'sign-blob',
    );
    const bundle = JSON.parse(await readFile(join(dir, 'artifact.sigstore.json'), 'utf8')) as {
      verificationMaterial: { certificate: { rawBytes: string } };
      messageSignature: { signature: string };
    };
    const leaf = new X509Certificate(Buffer.from(bundle.verificationMaterial.certificate.rawBytes, 'base64'));
    assert.ok(leaf.verify(root.publicKey), 'the signing certificate is issued by the KMS key');
    // Signature and certificate apart, as cosign verifies a certificate from a CA of one's own (a bundle
    // without a log entry has no time to check the certificate at).
    await writeFile(join(dir, 'artifact.sig'), bundle.messageSignature.signature);
    await writeFile(join(dir, 'signer.pem'), leaf.toString());
    const identity = ['--certificate-identity', EMAIL, '--certificate-oidc-issuer', oidc.issuers.email];
    // The CA's own CT log logged the precertificate: its key makes the embedded SCT checkable.
    const ctLogKey = createPublicKey(await readFile(join(dir, 'ca', 'ctlog-key.pem'), 'utf8'));
    await writeFile(join(dir, 'ctlog.pub'), ctLogKey.export({ type: 'spki', format: 'pem' }));
    const verify = (chainFile: string) =>
      sigil(
        [
          'verify-blob',
          '--signature',
          'artifact.sig',
          '--certificate',
          'signer.pem',
          '--certificate-chain',
          chainFile,
          ...identity,
          '--insecure-ignore-tlog',
          'artifact.txt',
        ],
        { cwd: dir, env: { SIGSTORE_CT_LOG_PUBLIC_KEY_FILE: 'ctlog.pub' } },
      );
    ok(await verify(join('ca', 'chain.pem')), 'verify-blob with chain.pem');
    // Against another CA's chain the same bundle is refused.
    ok(await run('ca', 'init', '--data-dir', 'file-ca'), 'file CA');
    assert.equal((await verify(join('file-ca', 'chain.pem'))).code, 1);
  });

  it('refuses, before serving, a chain whose first certificate is not the KMS key', async () => {
    const refused = await run(
      ...['ca', 'serve', '--addr', `127.0.0.1:${await freePort()}`, '--data-dir', 'ca'],
      ...['--config', 'fulcio.json', '--kms-resource', OTHER_KEY],
    );
    assert.equal(refused.code, 1);
    assert.match(
      errorLine(refused),
      /the KMS key awskms:\/\/\/alias\/not-the-ca is not the key of the first certificate in .*chain\.pem/,
    );
    // init given that chain and another key refuses likewise; with the CA key it keeps the chain.
    const chainPath = join(dir, 'ca', 'chain.pem');
    const before = await readFile(chainPath, 'utf8');
    const initWith = (key: string, dataDir: string) =>
      run('ca', 'init', '--data-dir', dataDir, '--kms-resource', key, '--kms-cert-chain-path', chainPath);
    assert.equal((await initWith(OTHER_KEY, 'other')).code, 1);
    ok(await initWith(CA_KEY, 'replica'), 'init keeping the chain');
    assert.equal(await readFile(chainPath, 'utf8'), before);
    assert.ok(existsSync(join(dir, 'replica', 'ctlog-key.pem')));
  });
});
