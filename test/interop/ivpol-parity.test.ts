/**
 * Same verdicts as the real Kyverno CLI for ImageValidatingPolicies: each policy of the corpus (Kyverno's
 * ImageValidatingPolicy documentation, one feature each) through `kyverno apply --registry` and through
 * `sigil policy apply`, over the parity images (signed every way on the loopback registry of a private
 * Sigstore). Each cell must agree unless the differences below say why sigil deliberately differs; the test
 * renders docs/kyverno-ivpol-parity.md and fails when the committed one is stale
 * (SIGIL_UPDATE_PARITY_DOC=1 rewrites it).
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { ivpolParityCorpus, keylessSeedRewrites } from '../helpers/ivpol-parity-corpus.js';
import { kyvernoParityCorpus } from '../helpers/kyverno-parity-corpus.js';
import { IMAGE_LABELS, type ParityImages, startParityImages } from '../helpers/parity-images.js';
import { disagreements, type ParityRow, type ParitySection, renderSection } from '../helpers/parity-table.js';
import { peerVersion, requirePeer } from '../helpers/peers.js';
import {
  kyvernoAndSigilVerdicts,
  type Pod,
  podsManifest,
  sigilVerdicts,
} from '../helpers/policy-verdicts.js';

const DOC = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'kyverno-ivpol-parity.md');

const kyverno = requirePeer('kyverno', 'kubectl-kyverno');
const cosign = requirePeer('cosign-v3', 'cosign');

const CLI_VALIDATES_ONLY =
  '`kyverno apply` runs only the validating half of an ImageValidatingPolicy: no mutating webhook pins the tag first, so verifyDigest (on by default) fails every image written by tag ("does not have a digest"). sigil\'s `policy apply` pins it first, as a cluster\'s mutating webhook does, then verifies the pinned image.';
const NEEDS_PUBLIC_TUF =
  "Kyverno's ImageValidatingPolicy verifier initialises the public-good Sigstore TUF root (tuf-repo-cdn.sigstore.dev) before any check that involves the log or a keyless certificate, even when the attestor carries its own roots, rekorPubKey and ctLogPubKey; the test machine has no Internet, so the attestor counts 0 there. sigil verifies with the trust material the policy carries and never reaches for the public-good instance.";

/** `policy/image` → why sigil's verdict deliberately differs from `kyverno apply`. */
const DIFFERENCES: Record<string, string> = {
  ...Object.fromEntries(
    ['attested', 'attested-bad', 'cosign-bundle', 'cosign-signed', 'key-signed', 'two-keys'].map((image) => [
      `ivpol-defaults/${image}`,
      CLI_VALIDATES_ONLY,
    ]),
  ),
  ...Object.fromEntries(
    ['attested', 'attested-bad', 'key-signed', 'two-keys'].map((image) => [
      `ivpol-key-logged/${image}`,
      NEEDS_PUBLIC_TUF,
    ]),
  ),
  'ivpol-keyless/keyless': NEEDS_PUBLIC_TUF,
  'ivpol-keyless-regexp/keyless': NEEDS_PUBLIC_TUF,
};

describe('ImageValidatingPolicies: same verdicts as the Kyverno CLI', {
  skip: kyverno.skip || cosign.skip,
}, () => {
  let images: ParityImages;
  let pods: Pod[];
  let resources: string;

  before(async () => {
    images = await startParityImages(cosign.path);
    pods = IMAGE_LABELS.map((label) => ({ name: label, image: images.image(label) }));
    resources = join(images.dir, 'pods.yaml');
    await writeFile(resources, podsManifest(pods));
  });
  after(() => images?.close());

  it('kyverno apply and sigil policy apply agree per image, and docs/kyverno-ivpol-parity.md says so', async () => {
    const rows: ParityRow[] = [];
    for (const policy of ivpolParityCorpus(images)) {
      const dir = join(images.dir, 'ivpol', policy.name);
      const { peer, ours } = await kyvernoAndSigilVerdicts(
        kyverno.path,
        dir,
        policy.document,
        resources,
        pods,
      );
      const debug = process.env.SIGIL_PARITY_DEBUG;
      if (debug) {
        await mkdir(join(debug, policy.name), { recursive: true });
        writeFileSync(join(debug, policy.name, 'kyverno.out'), peer.output);
        writeFileSync(join(debug, policy.name, 'sigil.out'), ours.output);
      }
      rows.push({ policy: policy.name, source: policy.source, peer: peer.verdicts, sigil: ours.verdicts });
    }
    const section: ParitySection = {
      title: `Kyverno CLI ${peerVersion('kyverno')}: \`kyverno apply --registry\` vs \`sigil policy apply\``,
      intro: INTRO,
      peerName: 'Kyverno',
      images: [...IMAGE_LABELS],
      rows,
      differences: DIFFERENCES,
    };
    const rendered = [HEADER, renderSection(section)].join('\n');
    if (process.env.SIGIL_UPDATE_PARITY_DOC === '1') writeFileSync(DOC, rendered);
    assert.deepEqual(disagreements(rows, section.images).sort(), Object.keys(DIFFERENCES).sort());
    assert.equal(readFileSync(DOC, 'utf8'), rendered, 'stale: rerun with SIGIL_UPDATE_PARITY_DOC=1');
  });

  // The key-based seeds are compared on an embedded registry (test/policy/seed-policies-cel.test.ts); the
  // keyless ones need this private Sigstore.
  it('each keyless seed ClusterPolicy and its ImageValidatingPolicy rewrite: same verdicts in sigil', async () => {
    // seed004 is an Audit policy leaving mutateDigest on: Kyverno (and sigil) refuse to load the ClusterPolicy.
    const seeds = kyvernoParityCorpus(images).filter(
      (p) => p.source.startsWith('seed ') && p.name !== 'seed004-verify-image-signature',
    );
    const rewrites = keylessSeedRewrites(seeds);
    assert.deepEqual(rewrites.map((r) => r.name).sort(), [
      'seed000-verify-github-signatures',
      'seed001-verify-image-signatures',
      'seed003-verify-keyless-signature',
    ]);
    for (const rewrite of rewrites) {
      const dir = join(images.dir, 'seed-rewrites', rewrite.name);
      await mkdir(dir, { recursive: true });
      const verdicts = async (name: string, document: unknown) => {
        const file = join(dir, name);
        await writeFile(file, stringify(document, { lineWidth: 0 }));
        const { verdicts } = await sigilVerdicts(file, resources, dir, pods);
        return Object.fromEntries(
          [...verdicts].map(([pod, v]) => [pod, `${v.allowed ?? 'none'} ${v.patchedImage ?? ''}`]),
        );
      };
      const ours = await verdicts('cpol.yaml', rewrite.clusterPolicy);
      assert.deepEqual(await verdicts('ivpol.yaml', rewrite.imageValidatingPolicy), ours, rewrite.name);
      // Of the three, only seed003's identity (github.com/myorg) signed a parity image: it must admit it.
      if (rewrite.name === 'seed003-verify-keyless-signature') {
        assert.match(ours['keyless-myorg'] ?? '', /^true .*@sha256:/);
      }
    }
  });
});

const HEADER = `# Parity with Kyverno: ImageValidatingPolicy

Generated by \`test/interop/ivpol-parity.test.ts\`, which fails when this file is not what its run produces
(\`SIGIL_UPDATE_PARITY_DOC=1 node scripts/run-tests.mjs test/interop/ivpol-parity\` rewrites it). The images are
those of [the ClusterPolicy parity table](kyverno-parity.md), one Pod per image.
`;

const INTRO = `Each policy is one \`ImageValidatingPolicy\` (policies.kyverno.io/v1) matching Pods; Kyverno reports one
result per policy, named after it, so a cell is that result for the Pod (pass, fail, error; none when the
policy did not apply), from \`kyverno apply POLICY --resource pods.yaml --registry --policy-report\` and from
\`sigil policy apply -o json\`. The policies are written from Kyverno's ImageValidatingPolicy documentation, one
feature each (test/helpers/ivpol-parity-corpus.ts).`;
