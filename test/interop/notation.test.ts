/**
 * Interop with the real notation CLI on the real distribution registry (no referrers API: the referrers
 * tag schema): both tools share one notation configuration (trust policy, trust store, signing keys);
 * what notation signs (JWS and COSE) sigil verifies, and what sigil signs notation verifies.
 */
import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encodePem } from '../../src/core/index.js';
import { parseReference, pushTestImage, RegistryClient } from '../../src/oci/index.js';
import {
  dockerRegistryInstalled,
  type PeerRegistry,
  startDockerRegistry,
} from '../helpers/docker-registry.js';
import { type NotationHome, notationHome, strictPolicy } from '../helpers/notation.js';
import { makePki } from '../helpers/notation-pki.js';
import { peerMissing, requirePeer } from '../helpers/peers.js';

const notationPeer = requirePeer('notation');
const registryMissing = peerMissing('docker-registry', dockerRegistryInstalled());

describe('notation: real notation CLI <-> sigil notation', {
  skip: notationPeer.skip || registryMissing,
}, () => {
  let registry: PeerRegistry;
  let home: NotationHome;
  const client = new RegistryClient({});
  const ok = (result: { code: number; stdout: string; stderr: string }, what: string) =>
    assert.equal(result.code, 0, `${what}: ${result.stdout}${result.stderr}`);
  const push = async (repo: string) => {
    const digest = await pushTestImage(client, parseReference(`${registry.address}/${repo}:v1`), {
      files: { 'f.txt': repo },
    });
    return `${registry.address}/${repo}@${digest}`;
  };

  before(async () => {
    registry = await startDockerRegistry();
    home = await notationHome(notationPeer.path);
    ok(
      await home.sigil('cert', 'generate-test', '--default', 'wabbit-networks.io'),
      'sigil cert generate-test',
    );
    await home.writePolicy([
      strictPolicy('wabbit-networks.io', {
        trustedIdentities: ['x509.subject: C=US, ST=WA, L=Seattle, O=Notary, CN=wabbit-networks.io'],
      }),
    ]);
  });
  after(async () => {
    await registry?.close();
    if (home) await rm(home.dir, { recursive: true, force: true });
  });

  for (const format of ['jws', 'cose']) {
    it(`sigil signs (${format}), notation verifies and inspects`, async () => {
      const image = await push(`sigil-${format}`);
      ok(await home.sigil('sign', '--signature-format', format, '-m', 'build=42', image), 'sigil sign');
      const verified = await home.notation('verify', '--insecure-registry', image);
      ok(verified, 'notation verify');
      assert.match(verified.stdout, /Successfully verified signature/);
      ok(
        await home.notation('verify', '--insecure-registry', '--user-metadata', 'build=42', image),
        'notation verify -m',
      );
      const inspected = await home.notation('inspect', '--insecure-registry', '-o', 'json', image);
      ok(inspected, 'notation inspect');
      const signature = JSON.parse(inspected.stdout).Signatures[0];
      assert.equal(signature.mediaType, format === 'jws' ? 'application/jose+json' : 'application/cose');
      assert.equal(signature.userDefinedAttributes.build, '42');
      ok(await home.sigil('verify', image), 'sigil verify');
    });

    it(`notation signs (${format}), sigil verifies, lists and inspects`, async () => {
      const image = await push(`notation-${format}`);
      ok(
        await home.notation(
          'sign',
          '--insecure-registry',
          '--signature-format',
          format,
          '-m',
          'team=blue',
          image,
        ),
        'notation sign',
      );
      const verified = await home.sigil('verify', '--user-metadata', 'team=blue', image);
      ok(verified, 'sigil verify');
      assert.match(verified.stdout, /Successfully verified signature for .*@sha256:/);
      const listed = await home.sigil('ls', image);
      ok(listed, 'sigil ls');
      assert.match(listed.stdout, /application\/vnd\.cncf\.notary\.signature\n\s+└── sha256:[0-9a-f]{64}/);
      const inspected = await home.sigil('inspect', '-o', 'json', image);
      ok(inspected, 'sigil inspect');
      const notationView = JSON.parse(
        (await home.notation('inspect', '--insecure-registry', '-o', 'json', image)).stdout,
      );
      const sigilView = JSON.parse(inspected.stdout);
      assert.equal(sigilView.Signatures[0].digest, notationView.Signatures[0].digest);
      assert.equal(sigilView.Signatures[0].signatureAlgorithm, notationView.Signatures[0].signatureAlgorithm);
      assert.deepEqual(sigilView.Signatures[0].signedArtifact, notationView.Signatures[0].signedArtifact);
      assert.deepEqual(sigilView.Signatures[0].userDefinedAttributes, { team: 'blue' });
      const missing = await home.sigil('verify', '--user-metadata', 'team=red', image);
      assert.notEqual(missing.code, 0);
    });
  }

  it('sigil signs with a key notation generated (generate-test), and both verify', async () => {
    ok(await home.notation('cert', 'generate-test', 'notation-made'), 'notation cert generate-test');
    await home.writePolicy([strictPolicy('notation-made')]);
    const image = await push('notation-made-key');
    ok(await home.sigil('sign', '--key', 'notation-made', image), 'sigil sign');
    ok(await home.notation('verify', '--insecure-registry', image), 'notation verify');
    ok(await home.sigil('verify', image), 'sigil verify');
  });

  it('a CA-issued ECDSA P-256 key signs in sigil and verifies in notation (and the reverse)', async () => {
    const pki = await makePki();
    const keyFile = join(home.dir, 'ec.key');
    const chainFile = join(home.dir, 'ec-chain.pem');
    await writeFile(keyFile, pki.keyPem);
    await writeFile(chainFile, encodePem('CERTIFICATE', pki.leafDer) + encodePem('CERTIFICATE', pki.rootDer));
    await writeFile(join(home.dir, 'ec-root.pem'), encodePem('CERTIFICATE', pki.rootDer));
    ok(
      await home.sigil('key', 'add', '--key-file', keyFile, '--cert-file', chainFile, 'ec'),
      'sigil key add',
    );
    ok(
      await home.notation('cert', 'add', '-t', 'ca', '-s', 'ec-root', join(home.dir, 'ec-root.pem')),
      'notation cert add',
    );
    await home.writePolicy([
      strictPolicy('ec-root', { trustedIdentities: ['x509.subject: C=US, ST=WA, O=wabbit-networks.io'] }),
    ]);
    for (const format of ['jws', 'cose']) {
      const image = await push(`ec-${format}`);
      ok(await home.sigil('sign', '--key', 'ec', '--signature-format', format, image), 'sigil sign');
      ok(await home.notation('verify', '--insecure-registry', image), 'notation verify');
      const other = await push(`ec-notation-${format}`);
      ok(
        await home.notation(
          'sign',
          '--insecure-registry',
          '--key',
          'ec',
          '--signature-format',
          format,
          other,
        ),
        'notation sign',
      );
      ok(await home.sigil('verify', other), 'sigil verify');
    }
    // An identity the policy does not trust: both refuse.
    await home.writePolicy([
      strictPolicy('ec-root', { trustedIdentities: ['x509.subject: C=US, ST=WA, O=acme-rockets.io'] }),
    ]);
    const image = await push('ec-jws');
    assert.notEqual((await home.notation('verify', '--insecure-registry', image)).code, 0);
    assert.match((await home.sigil('verify', image)).stderr, /not a trusted identity/);
  });
});
