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
import {
  createJwsEnvelope,
  encodePayload,
  pushSignature,
  resolveTarget,
  type SignRequest,
} from '../../src/notation/index.js';
import { parseReference, RegistryClient } from '../../src/oci/index.js';
import { createTsaMaterial, startTsa } from '../../src/tsa/index.js';
import {
  dockerRegistryInstalled,
  type PeerRegistry,
  startDockerRegistry,
} from '../helpers/docker-registry.js';
import {
  assertRan,
  type NotationHome,
  notationHome,
  pushByDigest,
  strictPolicy,
} from '../helpers/notation.js';
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
  const push = (repo: string) => pushByDigest(client, registry.address, repo);

  before(async () => {
    registry = await startDockerRegistry();
    home = await notationHome(notationPeer.path);
    assertRan(
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
      assertRan(
        await home.sigil('sign', '--signature-format', format, '-m', 'build=42', image),
        'sigil sign',
      );
      const verified = await home.notation('verify', '--insecure-registry', image);
      assertRan(verified, 'notation verify');
      assert.match(verified.stdout, /Successfully verified signature/);
      assertRan(
        await home.notation('verify', '--insecure-registry', '--user-metadata', 'build=42', image),
        'notation verify -m',
      );
      const inspected = await home.notation('inspect', '--insecure-registry', '-o', 'json', image);
      assertRan(inspected, 'notation inspect');
      const signature = JSON.parse(inspected.stdout).Signatures[0];
      assert.equal(signature.mediaType, format === 'jws' ? 'application/jose+json' : 'application/cose');
      assert.equal(signature.userDefinedAttributes.build, '42');
      assertRan(await home.sigil('verify', image), 'sigil verify');
    });

    it(`notation signs (${format}), sigil verifies, lists and inspects`, async () => {
      const image = await push(`notation-${format}`);
      assertRan(
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
      assertRan(verified, 'sigil verify');
      assert.match(verified.stdout, /Successfully verified signature for .*@sha256:/);
      const listed = await home.sigil('ls', image);
      assertRan(listed, 'sigil ls');
      assert.match(listed.stdout, /application\/vnd\.cncf\.notary\.signature\n\s+└── sha256:[0-9a-f]{64}/);
      const inspected = await home.sigil('inspect', '-o', 'json', image);
      assertRan(inspected, 'sigil inspect');
      const notationView = JSON.parse(
        (await home.notation('inspect', '--insecure-registry', '-o', 'json', image)).stdout,
      );
      const sigilView = JSON.parse(inspected.stdout);
      // The whole inspection reads the same in both tools.
      assert.deepEqual(sigilView, notationView);
      assert.deepEqual(sigilView.Signatures[0].userDefinedAttributes, { team: 'blue' });
      const missing = await home.sigil('verify', '--user-metadata', 'team=red', image);
      assert.notEqual(missing.code, 0);
    });
  }

  it('sigil signs with a key notation generated (generate-test), and both verify', async () => {
    assertRan(await home.notation('cert', 'generate-test', 'notation-made'), 'notation cert generate-test');
    await home.writePolicy([strictPolicy('notation-made')]);
    const image = await push('notation-made-key');
    assertRan(await home.sigil('sign', '--key', 'notation-made', image), 'sigil sign');
    assertRan(await home.notation('verify', '--insecure-registry', image), 'notation verify');
    assertRan(await home.sigil('verify', image), 'sigil verify');
  });

  it('a CA-issued ECDSA P-256 key signs in sigil and verifies in notation (and the reverse)', async () => {
    const pki = await makePki();
    const keyFile = join(home.dir, 'ec.key');
    const chainFile = join(home.dir, 'ec-chain.pem');
    await writeFile(keyFile, pki.keyPem);
    await writeFile(chainFile, encodePem('CERTIFICATE', pki.leafDer) + encodePem('CERTIFICATE', pki.rootDer));
    await writeFile(join(home.dir, 'ec-root.pem'), encodePem('CERTIFICATE', pki.rootDer));
    assertRan(
      await home.sigil('key', 'add', '--key-file', keyFile, '--cert-file', chainFile, 'ec'),
      'sigil key add',
    );
    assertRan(
      await home.notation('cert', 'add', '-t', 'ca', '-s', 'ec-root', join(home.dir, 'ec-root.pem')),
      'notation cert add',
    );
    await home.writePolicy([
      strictPolicy('ec-root', { trustedIdentities: ['x509.subject: C=US, ST=WA, O=wabbit-networks.io'] }),
    ]);
    for (const format of ['jws', 'cose']) {
      const image = await push(`ec-${format}`);
      assertRan(await home.sigil('sign', '--key', 'ec', '--signature-format', format, image), 'sigil sign');
      assertRan(await home.notation('verify', '--insecure-registry', image), 'notation verify');
      const other = await push(`ec-notation-${format}`);
      assertRan(
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
      assertRan(await home.sigil('verify', other), 'sigil verify');
    }
    // An identity the policy does not trust: both refuse.
    await home.writePolicy([
      strictPolicy('ec-root', { trustedIdentities: ['x509.subject: C=US, ST=WA, O=acme-rockets.io'] }),
    ]);
    const image = await push('ec-jws');
    assert.notEqual((await home.notation('verify', '--insecure-registry', image)).code, 0);
    assert.match((await home.sigil('verify', image)).stderr, /not a trusted identity/);
  });

  it('refusals agree: tampered payload, expired signature, CA as signing certificate, wrong identity', async () => {
    const good = await makePki();
    const caLeaf = await makePki({ leafIsCa: true });
    await writeFile(
      join(home.dir, 'bad-roots.pem'),
      encodePem('CERTIFICATE', good.rootDer) + encodePem('CERTIFICATE', caLeaf.rootDer),
    );
    assertRan(
      await home.notation('cert', 'add', '-t', 'ca', '-s', 'bad-roots', join(home.dir, 'bad-roots.pem')),
      'cert add',
    );
    const identity = ['x509.subject: C=US, ST=WA, O=wabbit-networks.io'];
    const level = async (name: string) =>
      home.writePolicy([
        strictPolicy('bad-roots', { trustedIdentities: identity, signatureVerification: { level: name } }),
      ]);
    /** Pushes a signature made in-process (optionally tampered after signing) to a fresh image. */
    const signed = async (
      repo: string,
      pki: typeof good,
      change: Partial<SignRequest> = {},
      tamper = false,
    ) => {
      const image = await push(repo);
      const ref = parseReference(image);
      const target = await resolveTarget(client, ref);
      const now = new Date();
      let envelope = await createJwsEnvelope({
        payload: encodePayload(target),
        signer: pki.signer,
        signingTime: now,
        signingScheme: 'notary.x509',
        signingAgent: 'sigil/test',
        ...change,
      });
      if (tamper) {
        const jws = JSON.parse(envelope.toString());
        jws.payload = encodePayload({ ...target, size: target.size + 1 }).toString('base64url');
        envelope = Buffer.from(JSON.stringify(jws));
      }
      await pushSignature(client, ref, target, {
        envelope,
        envelopeMediaType: 'application/jose+json',
        thumbprints: [],
        signingTime: now,
      });
      return image;
    };
    const bothRefuse = async (image: string, reason: RegExp) => {
      assert.notEqual(
        (await home.notation('verify', '--insecure-registry', image)).code,
        0,
        'notation accepted it',
      );
      const ours = await home.sigil('verify', image);
      assert.equal(ours.code, 1, 'sigil accepted it');
      assert.match(ours.stderr, reason);
    };
    const bothAccept = async (image: string) => {
      assertRan(await home.notation('verify', '--insecure-registry', image), 'notation verify');
      assertRan(await home.sigil('verify', image), 'sigil verify');
    };
    await level('strict');
    await bothAccept(await signed('parity-good', good));
    await bothRefuse(await signed('parity-tampered', good, {}, true), /integrity: .*does not verify/);
    const expired = await signed('parity-expired', good, {
      signingTime: new Date(Date.now() - 3600e3),
      expiry: new Date(Date.now() - 60e3),
    });
    await bothRefuse(expired, /expiry: signature expired/);
    await bothRefuse(await signed('parity-ca-leaf', caLeaf), /must not be a CA/);
    await level('permissive');
    await bothAccept(expired);
    await home.writePolicy([
      strictPolicy('bad-roots', { trustedIdentities: ['x509.subject: C=US, ST=WA, O=acme-rockets.io'] }),
    ]);
    await bothRefuse(await signed('parity-identity', good), /not a trusted identity/);
    await home.writePolicy([
      strictPolicy('bad-roots', {
        trustedIdentities: ['x509.subject: C=US, ST=WA, O=acme-rockets.io'],
        signatureVerification: { level: 'audit' },
      }),
    ]);
    await bothAccept(await signed('parity-identity-audit', good));
  });

  it("timestamps: sigil's countersignature from sigil's TSA verifies in notation; sigil reads notation's", async () => {
    const tsa = await startTsa({ host: '127.0.0.1', port: 0, ...(await createTsaMaterial()) });
    try {
      const blocks =
        tsa.tsa.chainPem.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----\n?/g) ?? [];
      const rootFile = join(home.dir, 'tsa-root.pem');
      await writeFile(rootFile, blocks[blocks.length - 1] ?? '');
      assertRan(await home.sigil('cert', 'add', '-t', 'tsa', '-s', 'sigil-tsa', rootFile), 'cert add tsa');
      await home.writePolicy([
        strictPolicy('wabbit-networks.io', { trustStores: ['ca:wabbit-networks.io', 'tsa:sigil-tsa'] }),
      ]);
      const url = `${tsa.url}/api/v1/timestamp`;
      for (const format of ['jws', 'cose']) {
        const image = await push(`timestamped-${format}`);
        const stamp = ['--timestamp-url', url, '--timestamp-root-cert', rootFile];
        assertRan(
          await home.sigil(
            'sign',
            '--key',
            'wabbit-networks.io',
            '--signature-format',
            format,
            ...stamp,
            image,
          ),
          'sigil sign --timestamp-url',
        );
        assertRan(
          await home.notation('verify', '--insecure-registry', image),
          'notation verify (timestamp required by the tsa store)',
        );
        const other = await push(`notation-timestamped-${format}`);
        assertRan(
          await home.notation(
            'sign',
            '--insecure-registry',
            '--key',
            'wabbit-networks.io',
            '--signature-format',
            format,
            ...stamp,
            other,
          ),
          'notation sign --timestamp-url',
        );
        const ours = JSON.parse((await home.sigil('inspect', '-o', 'json', other)).stdout).Signatures[0];
        const theirs = JSON.parse(
          (await home.notation('inspect', '--insecure-registry', '-o', 'json', other)).stdout,
        ).Signatures[0];
        assert.deepEqual(ours.unsignedAttributes, theirs.unsignedAttributes);
        // The policy's tsa: store requires the countersignature: sigil verifies notation's.
        assertRan(await home.sigil('verify', other), 'sigil verify (timestamp verified)');
      }
    } finally {
      await tsa.close();
    }
  });
});
