/**
 * Interop with the real notation CLI on the real distribution registry (no referrers API: the referrers
 * tag schema): both tools share one notation configuration (trust policy, trust store, signing keys);
 * what notation signs (JWS and COSE) sigil verifies, and what sigil signs notation verifies.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { parseReference, pushTestImage, RegistryClient } from '../../src/oci/index.js';
import {
  dockerRegistryInstalled,
  type PeerRegistry,
  startDockerRegistry,
} from '../helpers/docker-registry.js';
import { type NotationHome, notationHome, strictPolicy } from '../helpers/notation.js';
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
});
