/**
 * `sigil tree`, `copy` and `clean` with Notation signatures (OCI 1.1 referrers of artifactType
 * application/vnd.cncf.notary.signature), through the binary on the embedded registry: tree lists them,
 * copy carries them (whole, so that `sigil notation verify` passes on the copy, and with --only sig), and
 * `clean --type notation` removes them while `clean --type all` (cosign's artifacts) leaves them; and
 * `sigil admission review` enforces the Kyverno chapter's Notary policy with a real certificate.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { writeReview } from '../../src/cli/commands/demo/admission.js';
import type { Digest } from '../../src/core/index.js';
import { parseReference, RegistryClient, type RunningRegistry } from '../../src/oci/index.js';
import { sigil } from '../helpers/cli.js';
import { pushTeamImage, startTestRegistry } from '../helpers/embedded-registry.js';
import { NOTATION_SEED_POLICY } from '../helpers/notary-images.js';
import { assertRan, type NotationHome, notationHome, strictPolicy } from '../helpers/notation.js';

describe('tree, copy and clean know Notation signatures; admission enforces type: Notary', () => {
  let registry: RunningRegistry;
  let home: NotationHome;
  const client = new RegistryClient({});
  const top = (...args: string[]) => sigil(args, { cwd: home.dir });

  before(async () => {
    registry = await startTestRegistry();
    home = await notationHome('notation'); // sigil alone: no notation binary is run
    assertRan(await home.sigil('cert', 'generate-test', '--default', 'wabbit-networks.io'), 'generate-test');
    await home.writePolicy([strictPolicy('wabbit-networks.io')]);
  });
  after(async () => {
    await registry?.close();
    if (home) await rm(home.dir, { recursive: true, force: true });
  });

  const signed = async (name: string) => {
    const image = await pushTeamImage(client, registry, name);
    assertRan(await home.sigil('sign', image), 'notation sign');
    return image;
  };

  it('tree lists the Notation signature as an OCI referrer', async () => {
    const image = await signed('tree');
    const tree = await top('tree', image);
    assertRan(tree, 'tree');
    assert.match(
      tree.stdout,
      /🔗 application\/vnd\.cncf\.notary\.signature artifacts via OCI referrer: 127\.0\.0\.1:\d+\/team\/tree@sha256:[0-9a-f]{64}\n\s+└── 🍒 sha256:[0-9a-f]{64}/,
    );
    const json = JSON.parse((await top('tree', '--output', 'json', image)).stdout);
    assert.equal(json.referrers[0].artifactType, 'application/vnd.cncf.notary.signature');
  });

  it('copy carries Notation signatures, whole and with --only sig; the copies verify', async () => {
    const image = await signed('copy-source');
    const whole = `${registry.address}/copies/whole:v1`;
    assertRan(await top('copy', image, whole), 'copy');
    assertRan(await home.sigil('verify', whole), 'notation verify of the copy');
    const onlySig = `${registry.address}/copies/only-sig`;
    assertRan(await top('copy', '--only', 'sig', image, onlySig), 'copy --only sig');
    const digest = (await home.sigil('ls', image)).stdout.match(
      /team\/copy-source@(sha256:[0-9a-f]{64})/,
    )?.[1];
    assert.ok(digest);
    // --only copies the artifacts, not the image (see copy.ts): the signature is a referrer there.
    const referrers = await client.referrers(parseReference(onlySig), digest as Digest, {
      artifactType: 'application/vnd.cncf.notary.signature',
    });
    assert.equal(referrers.length, 1);
  });

  it('clean --type notation removes Notation signatures; --type all (cosign artifacts) leaves them', async () => {
    const image = await signed('clean');
    assertRan(await top('clean', '--type', 'all', '--force', image), 'clean --type all');
    assertRan(await home.sigil('verify', image), 'still verifies after cosign-only clean');
    const cleaned = await top('clean', '--type', 'notation', '--force', '--output', 'json', image);
    assertRan(cleaned, 'clean --type notation');
    assert.equal(JSON.parse(cleaned.stdout).deleted.length, 1);
    assert.doesNotMatch((await home.sigil('ls', image)).stdout, /notary\.signature/);
    const refused = await home.sigil('verify', image);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /no signature/i);
  });

  it("admission review: the Kyverno chapter's Notary policy with a real certificate admits and denies", async () => {
    assertRan(
      await home.sigil('cert', 'generate-test', 'acme-rockets.io'),
      'generate-test (another organisation)',
    );
    const admitted = await signed('notary-admitted');
    const elsewhere = await pushTeamImage(client, registry, 'notary-elsewhere');
    assertRan(await home.sigil('sign', '--key', 'acme-rockets.io', elsewhere), 'sign with the other key');
    const seed = parse(readFileSync(NOTATION_SEED_POLICY, 'utf8'));
    const verification = seed.spec.rules[0].verifyImages[0];
    verification.imageReferences = [`${registry.address}/*`];
    const pem = readFileSync(join(home.configDir, 'localkeys', 'wabbit-networks.io.crt'), 'utf8');
    verification.attestors[0].entries[0].certificates = { cert: pem, certChain: pem };
    await mkdir(join(home.dir, 'policies'), { recursive: true });
    await writeFile(join(home.dir, 'policies', 'notary.yaml'), stringify(seed));
    const review = async (uid: string, image: string) => {
      const request = writeReview(home.dir, uid, [image]);
      const result = await top('admission', 'review', '--policies', 'policies', '--request', request);
      assertRan(result, 'admission review');
      return JSON.parse(result.stdout).response;
    };
    const allowed = await review('signed', admitted);
    assert.equal(allowed.allowed, true, JSON.stringify(allowed.status));
    const patch = JSON.parse(Buffer.from(allowed.patch, 'base64').toString('utf8'));
    assert.match(JSON.stringify(patch), /team\/notary-admitted:v1@sha256:[0-9a-f]{64}/);
    const denied = await review('elsewhere', elsewhere);
    assert.equal(denied.allowed, false);
    assert.match(
      denied.status.message,
      /verify-notary-v2: .*authenticity: the certificate chain .*acme-rockets\.io/,
    );
  });
});
