/**
 * The private Sigstore's timestamping key in a KMS, with timestamp-authority's flags: `sigil tsa serve
 * --timestamp-signer kms --kms-key-resource awskms://... --certificate-chain-path chain.pem` makes a chain
 * for the local-kms key when there is none, signs through the KMS, and its replies pass `openssl ts
 * -verify`; a chain whose leaf is not the KMS key's is refused at start.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTsaMaterial } from '../../src/tsa/index.js';
import { startSigilServer } from '../helpers/admission-serve.js';
import { errorLine, sigil, workDir } from '../helpers/cli.js';
import { ok } from '../helpers/kms-interop-suite.js';
import { type KmsServer, localKmsPeer, startLocalKms } from '../helpers/kms-servers.js';
import { assertOpensslVerifiesTimestamp, hasOpenssl } from '../helpers/openssl-ts.js';
import { freePort } from '../helpers/ports.js';

const peer = localKmsPeer();
const TSA_KEY = 'awskms:///alias/sigil-tsa';

describe('the TSA signs with a KMS key (tsa serve --timestamp-signer kms)', { skip: peer.skip }, () => {
  let kms: KmsServer;
  let dir: string;
  let server: ChildProcess | undefined;
  const kmsFlags = (chain: string) => [
    '--timestamp-signer',
    'kms',
    '--kms-key-resource',
    TSA_KEY,
    '--certificate-chain-path',
    chain,
  ];

  before(async () => {
    dir = await workDir();
    kms = await startLocalKms(peer.path);
    ok(
      await sigil(['generate-key-pair', '--kms', TSA_KEY, '--output-key-prefix', 'tsa'], {
        cwd: dir,
        env: kms.env,
      }),
      'TSA key',
    );
  });
  after(async () => {
    server?.kill();
    await kms?.stop();
  });

  it('makes a chain for the KMS key and stamps through it; openssl ts verifies the reply', {
    skip: !hasOpenssl(),
  }, async () => {
    const port = await freePort();
    server = await startSigilServer(
      ['tsa', 'serve', '--addr', `127.0.0.1:${port}`, ...kmsFlags(join('tsa', 'chain.pem'))],
      dir,
      'timestamp authority listening on',
      kms.env,
    );
    const chainPem = await readFile(join(dir, 'tsa', 'chain.pem'), 'utf8');
    const [leafPem] = chainPem.split(/(?<=-----END CERTIFICATE-----\n)/);
    const leaf = new X509Certificate(leafPem ?? '');
    assert.equal(
      leaf.publicKey.export({ type: 'spki', format: 'pem' }),
      await readFile(join(dir, 'tsa.pub'), 'utf8'),
    );
    assert.equal(await (await fetch(`http://127.0.0.1:${port}/api/v1/timestamp/certchain`)).text(), chainPem);
    await assertOpensslVerifiesTimestamp(
      `http://127.0.0.1:${port}`,
      'stamped through a KMS-held key',
      chainPem,
    );
  });

  it('refuses, in one line at start, a chain whose leaf is not the KMS key', async () => {
    await writeFile(join(dir, 'other-chain.pem'), (await createTsaMaterial()).chainPem);
    const refused = await sigil(
      ['tsa', 'serve', '--addr', `127.0.0.1:${await freePort()}`, ...kmsFlags('other-chain.pem')],
      { cwd: dir, env: kms.env },
    );
    assert.equal(refused.code, 1);
    assert.match(
      errorLine(refused),
      /TSA signing key awskms:\/\/\/alias\/sigil-tsa \(chain other-chain\.pem\) does not match the leaf certificate/,
    );
    const half = await sigil(['tsa', 'serve', '--timestamp-signer', 'kms'], { cwd: dir, env: kms.env });
    assert.match(errorLine(half), /--timestamp-signer kms needs --kms-key-resource/);
  });
});
