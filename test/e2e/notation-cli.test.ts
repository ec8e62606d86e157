/**
 * `sigil notation` as a user drives it, on sigil's embedded registry (the OCI referrers API): the
 * generate-test quick start, key and trust store management, PKCS#11 token keys, and each refusal as one
 * `Error:` line with a non-zero exit.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encodePem } from '../../src/core/index.js';
import { generateKeyPair, pkcs11PublicKey } from '../../src/crypto/index.js';
import { RegistryClient, type RunningRegistry } from '../../src/oci/index.js';
import { type CliResult, errorLine } from '../helpers/cli.js';
import { pushTeamImage, startTestRegistry } from '../helpers/embedded-registry.js';
import { assertRan, type NotationHome, notationHome, strictPolicy } from '../helpers/notation.js';
import { certifyKey } from '../helpers/notation-pki.js';
import { peerMissing } from '../helpers/peers.js';
import { createSoftToken, generateTokenKey, type SoftToken, softhsmAvailable } from '../helpers/softhsm.js';

describe('sigil notation (CLI)', () => {
  let registry: RunningRegistry;
  let home: NotationHome;
  const client = new RegistryClient({});
  const refused = (result: CliResult) => {
    assert.equal(result.code, 1, result.stderr);
    return errorLine(result);
  };

  before(async () => {
    registry = await startTestRegistry();
    // No notation binary needed: sigil alone.
    home = await notationHome('notation');
    assertRan(await home.sigil('cert', 'generate-test', '--default', 'wabbit-networks.io'), 'generate-test');
    await home.writePolicy([strictPolicy('wabbit-networks.io')]);
  });
  after(async () => {
    await registry?.close();
    if (home) await rm(home.dir, { recursive: true, force: true });
  });

  it('signs and verifies through the referrers API; ls and inspect show the signature', async () => {
    const image = await pushTeamImage(client, registry, 'quickstart');
    const signed = await home.sigil('sign', '--signature-format', 'cose', '-e', '24h', image);
    assertRan(signed, 'sign');
    assert.match(signed.stderr, /Always sign the artifact using digest/);
    const verified = await home.sigil('verify', image);
    assertRan(verified, 'verify');
    assert.match(
      verified.stdout,
      /^Successfully verified signature for 127\.0\.0\.1:\d+\/team\/quickstart@sha256:[0-9a-f]{64}\n$/,
    );
    const json = JSON.parse((await home.sigil('verify', '-o', 'json', image)).stdout);
    assert.equal(json.verified, true);
    assert.equal(json.level, 'strict');
    const listed = await home.sigil('ls', image);
    assert.match(listed.stdout, /└── application\/vnd\.cncf\.notary\.signature\n {4}└── sha256:/);
    const inspected = await home.sigil('inspect', image);
    assert.match(inspected.stdout, /signature algorithm: RSASSA-PSS-SHA-256/);
    assert.match(inspected.stdout, /expiry: /);
    assert.match(inspected.stdout, /issued to: CN=wabbit-networks\.io,O=Notary,L=Seattle,ST=WA,C=US/);
  });

  it('manages keys and trust stores as notation does', async () => {
    const keys = await home.sigil('key', 'ls');
    assert.match(
      keys.stdout,
      /^\* wabbit-networks\.io\t.*localkeys\/wabbit-networks\.io\.key\t.*wabbit-networks\.io\.crt/m,
    );
    assert.match(refused(await home.sigil('cert', 'generate-test', 'wabbit-networks.io')), /already exists/);
    assertRan(await home.sigil('cert', 'generate-test', 'second'), 'second key');
    assertRan(await home.sigil('key', 'set', 'second'), 'key set');
    assert.match((await home.sigil('key', 'ls')).stdout, /^\* second/m);
    const certs = await home.sigil('cert', 'ls');
    assert.match(certs.stdout, /ca\twabbit-networks\.io\twabbit-networks\.io\.crt/);
    const shown = await home.sigil('cert', 'show', '-t', 'ca', '-s', 'second', 'second.crt');
    assert.match(shown.stdout, /Subject: CN=second,O=Notary,L=Seattle,ST=WA,C=US\n/);
    assertRan(
      await home.sigil(
        'cert',
        'add',
        '-t',
        'ca',
        '-s',
        'copies',
        join(home.configDir, 'localkeys', 'second.crt'),
      ),
      'cert add',
    );
    assertRan(
      await home.sigil('cert', 'delete', '-t', 'ca', '-s', 'copies', '--all', '-y'),
      'cert delete --all',
    );
    assertRan(await home.sigil('key', 'delete', 'second'), 'key delete');
    assert.doesNotMatch((await home.sigil('key', 'ls')).stdout, /second/);
    assert.match(
      refused(await home.sigil('key', 'add', '--plugin', 'azure-kv', '--id', 'x', 'kv')),
      /plugins are not supported/,
    );
    assert.match(refused(await home.sigil('cert', 'generate-test', 'bad/name')), /\[a-zA-Z0-9_.-\]\+/);
  });

  it('refuses with one line: untrusted signer, scope mismatch, no signature, no policy', async () => {
    const image = await pushTeamImage(client, registry, 'refusals');
    assertRan(await home.sigil('cert', 'generate-test', 'stranger'), 'stranger key');
    assertRan(await home.sigil('sign', '--key', 'stranger', image), 'sign with the stranger key');
    // The policy trusts ca:wabbit-networks.io only.
    assert.match(
      refused(await home.sigil('verify', image)),
      /^Error: signature verification failed for 127\.0\.0\.1:\d+\/team\/refusals@sha256:[0-9a-f]+: sha256:[0-9a-f]+: authenticity: the certificate chain \(root "CN=stranger,O=Notary,L=Seattle,ST=WA,C=US"\) does not lead to a certificate in the trust stores of statement "all"$/,
    );
    await home.writePolicy([
      { ...(strictPolicy('wabbit-networks.io') as object), registryScopes: ['registry.example/other'] },
    ]);
    assert.match(
      refused(await home.sigil('verify', image)),
      /no trust policy statement applies to 127\.0\.0\.1:\d+\/team\/refusals/,
    );
    await home.writePolicy([strictPolicy('wabbit-networks.io')]);
    const unsigned = await pushTeamImage(client, registry, 'unsigned');
    assert.match(
      refused(await home.sigil('verify', unsigned)),
      /no signature is associated with .*team\/unsigned@sha256:/,
    );
    await rm(join(home.configDir, 'trustpolicy.json'));
    assert.match(
      refused(await home.sigil('verify', image)),
      /no trust policy: neither trustpolicy\.oci\.json nor trustpolicy\.json/,
    );
    // notation 1.2+ reads trustpolicy.oci.json first.
    await writeFile(
      join(home.configDir, 'trustpolicy.oci.json'),
      JSON.stringify({ version: '1.0', trustPolicies: [strictPolicy('stranger')] }),
    );
    assertRan(await home.sigil('verify', image), 'verify with trustpolicy.oci.json');
    await rm(join(home.configDir, 'trustpolicy.oci.json'));
  });

  it('signs with PKCS#11 token keys (ECDSA P-256, and RSA 2048 with RSASSA-PSS) and their chains', {
    skip: peerMissing('softhsm2', softhsmAvailable),
  }, async () => {
    const token = createSoftToken('notation-token');
    generateTokenKey(token, 'signer', Buffer.from([9]));
    await tokenKeySigns(token, 'signer', 'ecdsa', /ECDSA-SHA-256/);
    // An RSA key imported into the token (softhsm2-util --import takes a PKCS#8 key pair).
    const rsaFile = join(home.dir, 'rsa.pem');
    writeFileSync(rsaFile, generateKeyPair('rsa-2048').privateKey.export({ type: 'pkcs8', format: 'pem' }));
    execFileSync(
      'softhsm2-util',
      ['--import', rsaFile, '--token', token.label, '--label', 'rsa', '--id', '0a', '--pin', token.pin],
      {
        env: token.env,
        stdio: 'ignore',
      },
    );
    await tokenKeySigns(token, 'rsa', 'rsa', /RSASSA-PSS-SHA-256/);
  });

  /** Adds the token key `object` with a chain issued for it, signs an image with it and verifies. */
  async function tokenKeySigns(
    token: SoftToken,
    object: string,
    name: string,
    algorithm: RegExp,
  ): Promise<void> {
    const uri = token.uri(object);
    const { rootDer, leafDer } = await certifyKey(pkcs11PublicKey(uri));
    const chain = join(home.dir, `${name}-chain.pem`);
    const root = join(home.dir, `${name}-root.pem`);
    writeFileSync(chain, encodePem('CERTIFICATE', leafDer) + encodePem('CERTIFICATE', rootDer));
    writeFileSync(root, encodePem('CERTIFICATE', rootDer));
    const env = { SOFTHSM2_CONF: token.env.SOFTHSM2_CONF ?? '' };
    assertRan(
      await home.sigilWith(env, 'key', 'add', '--key-file', uri, '--cert-file', chain, name),
      'key add pkcs11',
    );
    assertRan(await home.sigil('cert', 'add', '-t', 'ca', '-s', `${name}-root`, root), 'cert add root');
    await home.writePolicy([strictPolicy(`${name}-root`)]);
    const image = await pushTeamImage(client, registry, `token-${name}`);
    assertRan(await home.sigilWith(env, 'sign', '--key', name, image), 'sign with the token key');
    assertRan(await home.sigil('verify', image), 'verify');
    assert.match((await home.sigil('inspect', image)).stdout, algorithm);
  }
});
