/**
 * The real notation CLI and sigil agree on RFC 3161 countersignatures made by sigil's own TSA (both
 * ways) and on revocation answered by OpenSSL's OCSP responder: good, revoked, and unreachable under
 * strict (fails) and permissive (logs).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { requireCertificates } from '../../src/crypto/index.js';
import { RegistryClient } from '../../src/oci/index.js';
import { createTsaMaterial, type RunningTsa, startTsa } from '../../src/tsa/index.js';
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
import {
  type Issued,
  issue,
  makeCa,
  type OcspResponder,
  revoke,
  startOcspResponder,
} from '../helpers/openssl-pki.js';
import { peerMissing, requirePeer } from '../helpers/peers.js';
import { freePort } from '../helpers/ports.js';

const notationPeer = requirePeer('notation');
const registryMissing = peerMissing('docker-registry', dockerRegistryInstalled());

describe('notation: timestamps and revocation, real notation CLI <-> sigil', {
  skip: notationPeer.skip || registryMissing,
}, () => {
  let registry: PeerRegistry;
  let home: NotationHome;
  let tsa: RunningTsa;
  let responder: OcspResponder;
  let ca: Issued;
  const client = new RegistryClient({});
  const push = (repo: string) => pushByDigest(client, registry.address, repo);
  /** A signing key in both tools' signingkeys.json: an openssl-made leaf under `ca` (PKCS#8 key). */
  const addKey = async (name: string, ocsp: string[]) => {
    const leaf = issue(home.dir, ca, name, { ...(ocsp.length ? { ocsp } : {}) });
    const key = join(home.dir, `${name}.pk8`);
    execFileSync('openssl', ['pkcs8', '-topk8', '-nocrypt', '-in', leaf.key, '-out', key]);
    execFileSync('sh', ['-c', `cat "${leaf.cert}" "${ca.cert}" > "${join(home.dir, `${name}.chain`)}"`]);
    assertRan(
      await home.sigil('key', 'add', '--key-file', key, '--cert-file', join(home.dir, `${name}.chain`), name),
      'key add',
    );
    return leaf;
  };
  const policy = (level = 'strict') =>
    home.writePolicy([
      strictPolicy('openssl-ca', {
        signatureVerification: { level },
        trustStores: ['ca:openssl-ca', 'tsa:sigil-tsa'],
      }),
    ]);

  before(async () => {
    registry = await startDockerRegistry();
    home = await notationHome(notationPeer.path);
    const material = await createTsaMaterial();
    tsa = await startTsa({ host: '127.0.0.1', port: 0, ...material });
    const tsaRoot = join(home.dir, 'tsa-root.pem');
    const root = requireCertificates(material.chainPem, 'TSA chain').at(-1);
    await writeFile(tsaRoot, root?.toString() ?? '');
    assertRan(
      await home.notation('cert', 'add', '-t', 'tsa', '-s', 'sigil-tsa', tsaRoot),
      'notation cert add tsa',
    );
    ca = makeCa(home.dir, 'openssl-ca');
    assertRan(
      await home.notation('cert', 'add', '-t', 'ca', '-s', 'openssl-ca', ca.cert),
      'notation cert add ca',
    );
    const port = await freePort();
    const responderCert = issue(home.dir, ca, 'ocsp-responder', {
      extensions: ['extendedKeyUsage=critical,OCSPSigning'],
    });
    responder = await startOcspResponder(home.dir, ca, responderCert, port, 10);
    await addKey('good', [responder.url]);
    revoke(home.dir, ca, await addKey('revoked', [responder.url]));
    await addKey('unreachable', [`http://127.0.0.1:${await freePort()}`]);
    await policy();
  });
  after(async () => {
    await registry?.close();
    await tsa?.close();
    await responder?.stop();
    if (home) await rm(home.dir, { recursive: true, force: true });
  });

  const tsaFlags = () => [
    '--timestamp-url',
    `${tsa.url}/api/v1/timestamp`,
    '--timestamp-root-cert',
    join(home.dir, 'tsa-root.pem'),
  ];

  for (const format of ['jws', 'cose']) {
    it(`notation countersigns with sigil TSA (${format}); both verify`, async () => {
      const image = await push(`ts-notation-${format}`);
      assertRan(
        await home.notation(
          'sign',
          '--insecure-registry',
          '--key',
          'good',
          '--signature-format',
          format,
          ...tsaFlags(),
          image,
        ),
        'notation sign --timestamp-url',
      );
      assertRan(await home.notation('verify', '--insecure-registry', image), 'notation verify');
      assertRan(await home.sigil('verify', image), 'sigil verify');
    });

    it(`sigil countersigns with sigil TSA (${format}); both verify`, async () => {
      const image = await push(`ts-sigil-${format}`);
      assertRan(
        await home.sigil('sign', '--key', 'good', '--signature-format', format, ...tsaFlags(), image),
        'sigil sign',
      );
      assertRan(await home.notation('verify', '--insecure-registry', image), 'notation verify');
      assertRan(await home.sigil('verify', image), 'sigil verify');
    });
  }

  it('a signature without a countersignature: both refuse it when the policy names a tsa store', async () => {
    const image = await push('ts-missing');
    assertRan(await home.sigil('sign', '--key', 'good', image), 'sigil sign');
    assert.match(
      (await home.notation('verify', '--verbose', '--insecure-registry', image)).stderr,
      /no timestamp countersignature/,
    );
    assert.match((await home.sigil('verify', image)).stderr, /no timestamp countersignature/);
  });

  it('revoked (OCSP): both refuse; permissive: both log and pass', async () => {
    const image = await push('revoked');
    assertRan(
      await home.notation('sign', '--insecure-registry', '--key', 'revoked', ...tsaFlags(), image),
      'notation sign',
    );
    const byNotation = await home.notation('verify', '--verbose', '--insecure-registry', image);
    const bySigil = await home.sigil('verify', image);
    assert.notEqual(byNotation.code, 0);
    assert.match(byNotation.stderr, /is revoked/);
    assert.notEqual(bySigil.code, 0);
    assert.match(bySigil.stderr, /signing certificate ".*CN=revoked.*" is revoked/);
    await policy('permissive');
    try {
      assertRan(await home.notation('verify', '--insecure-registry', image), 'notation verify (permissive)');
      const permissive = await home.sigil('verify', image);
      assertRan(permissive, 'sigil verify (permissive)');
      assert.match(permissive.stderr, /Warning: revocation .*is revoked/);
    } finally {
      await policy();
    }
  });

  it('an unreachable OCSP responder: both refuse under strict, both pass under permissive', async () => {
    const image = await push('unreachable');
    assertRan(await home.sigil('sign', '--key', 'unreachable', ...tsaFlags(), image), 'sigil sign');
    const byNotation = await home.notation('verify', '--verbose', '--insecure-registry', image);
    const bySigil = await home.sigil('verify', image);
    assert.notEqual(byNotation.code, 0, byNotation.stdout);
    assert.match(byNotation.stderr, /revocation status is unknown/);
    assert.notEqual(bySigil.code, 0);
    assert.match(bySigil.stderr, /revocation status is unknown/);
    await policy('permissive');
    try {
      assertRan(await home.notation('verify', '--insecure-registry', image), 'notation verify (permissive)');
      assertRan(await home.sigil('verify', image), 'sigil verify (permissive)');
    } finally {
      await policy();
    }
  });
});
