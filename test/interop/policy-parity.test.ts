/**
 * Same verdicts as the real cluster side: every Kyverno verifyImages policy of the corpus (Kyverno's
 * documented features, the users' guides) through the real Kyverno CLI (`kyverno apply`) and through
 * `sigil policy apply`, and ClusterImagePolicies through the real policy-controller tester and sigil, over
 * one set of images signed every way on the loopback registry of a private Sigstore. Each cell must agree
 * (result, failing rule, digest-pinned image) unless docs/kyverno-parity.md says why sigil deliberately
 * differs; the test renders that document and fails when the committed one is stale
 * (SIGIL_UPDATE_PARITY_DOC=1 rewrites it).
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { CIP_DIFFERENCES, cipParityCorpus, trustRootResource } from '../helpers/cip-parity-corpus.js';
import { KYVERNO_DIFFERENCES, kyvernoParityCorpus } from '../helpers/kyverno-parity-corpus.js';
import { IMAGE_LABELS, type ParityImages, startParityImages } from '../helpers/parity-images.js';
import { disagreements, type ParityRow, type ParitySection, renderSection } from '../helpers/parity-table.js';
import { peerVersion, requirePeer } from '../helpers/peers.js';
import {
  kyvernoAndSigilVerdicts,
  type Pod,
  podsManifest,
  sigilVerdicts,
  testerVerdict,
  type Verdicts,
} from '../helpers/policy-verdicts.js';

const DOC = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'kyverno-parity.md');

const kyverno = requirePeer('kyverno', 'kubectl-kyverno');
const tester = requirePeer('policy-tester', 'tester');
const cosign = requirePeer('cosign-v3', 'cosign');
const skip = kyverno.skip || tester.skip || cosign.skip;

describe('same verdicts as Kyverno and the policy-controller', { skip }, () => {
  let images: ParityImages;
  let pods: Pod[];
  let resources: string;
  const sections: ParitySection[] = [];

  before(async () => {
    images = await startParityImages(cosign.path);
    pods = IMAGE_LABELS.map((label) => ({ name: label, image: images.image(label) }));
    resources = join(images.dir, 'pods.yaml');
    await writeFile(resources, podsManifest(pods));
  });
  after(() => images?.close());

  it('kyverno apply and sigil policy apply: same result, failing rule and pinned digest per image', async () => {
    const rows: ParityRow[] = [];
    const unnamed: string[] = [];
    for (const policy of kyvernoParityCorpus(images)) {
      const dir = join(images.dir, 'kyverno', policy.name);
      const { peer, ours } = await kyvernoAndSigilVerdicts(
        kyverno.path,
        dir,
        policy.document,
        resources,
        pods,
      );
      rows.push({ policy: policy.name, source: policy.source, peer: peer.verdicts, sigil: ours.verdicts });
      unnamed.push(...imagesNotNamed(policy.name, peer.verdicts, ours.verdicts));
    }
    const section: ParitySection = {
      title: `Kyverno CLI ${peerVersion('kyverno')}: \`kyverno apply --registry\` vs \`sigil policy apply\``,
      intro: KYVERNO_INTRO,
      peerName: 'Kyverno',
      images: [...IMAGE_LABELS],
      rows,
      differences: KYVERNO_DIFFERENCES,
    };
    sections[0] = section;
    assert.deepEqual(disagreements(rows, section.images).sort(), Object.keys(KYVERNO_DIFFERENCES).sort());
    assert.deepEqual(unnamed, [], "sigil's failure messages name the image");
  });

  it('policy-controller tester and sigil policy apply: same admission per image', async () => {
    const trustRoot = join(images.dir, 'trustroot.yaml');
    await writeFile(trustRoot, stringify(trustRootResource(images), { lineWidth: 0 }));
    const rows: ParityRow[] = [];
    for (const policy of cipParityCorpus(images)) {
      const dir = join(images.dir, 'cip', policy.name);
      await mkdir(dir, { recursive: true });
      const forTester = join(dir, 'tester.yaml');
      const forSigil = join(dir, 'sigil.yaml');
      await writeFile(forTester, stringify(policy.tester, { lineWidth: 0 }));
      await writeFile(forSigil, stringify(policy.sigil, { lineWidth: 0 }));
      const ours = await sigilVerdicts(forSigil, resources, dir, pods, [
        '--trusted-root',
        images.stack.trustedRootPath,
      ]);
      const peer: Verdicts = new Map();
      for (const pod of pods) {
        peer.set(pod.name, (await testerVerdict(tester.path, forTester, pod.image, dir, trustRoot)).verdict);
      }
      rows.push({ policy: policy.name, source: policy.source, peer, sigil: admissions(ours.verdicts) });
    }
    const section: ParitySection = {
      title: `policy-controller ${peerVersion('policy-tester')}: \`tester\` vs \`sigil policy apply\``,
      intro: CIP_INTRO,
      peerName: 'policy-controller',
      images: [...IMAGE_LABELS],
      rows: rows.map((row) => ({ ...row, peer: admissions(row.peer) })),
      differences: CIP_DIFFERENCES,
    };
    sections[1] = section;
    assert.deepEqual(disagreements(section.rows, section.images).sort(), Object.keys(CIP_DIFFERENCES).sort());
  });

  it('docs/kyverno-parity.md is the table these runs produce', () => {
    assert.equal(sections.filter(Boolean).length, 2, 'both parity runs completed');
    const rendered = [DOC_HEADER, ...sections.map(renderSection)].join('\n');
    if (process.env.SIGIL_UPDATE_PARITY_DOC === '1') writeFileSync(DOC, rendered);
    assert.equal(readFileSync(DOC, 'utf8'), rendered, 'stale: rerun with SIGIL_UPDATE_PARITY_DOC=1');
  });
});

/**
 * Where both deny, sigil's messages must name the image, as Kyverno's signature messages do (its
 * attestation messages do not: "image attestations verification failed, verifiedCount: 0, ..."). Returns
 * the `policy/image: message` of those that do not.
 */
function imagesNotNamed(policy: string, peer: Verdicts, ours: Verdicts): string[] {
  return [...peer].flatMap(([pod, verdict]) =>
    verdict.failures.length === 0
      ? []
      : (ours.get(pod)?.failures ?? [])
          .filter(({ message }) => !message.includes(`parity/${pod}`))
          .map(({ message }) => `${policy}/${pod}: ${message}`),
  );
}

/**
 * For ClusterImagePolicies the verdict is the admission, admit (pass) or deny (fail): the tester prints no
 * warnings for warn mode, so a warned admission is an admission.
 */
function admissions(verdicts: Verdicts): Verdicts {
  return new Map(
    [...verdicts].map(([pod, v]) => [pod, { result: v.allowed === false ? 'fail' : 'pass', failures: [] }]),
  );
}

const DOC_HEADER = `# Parity with Kyverno and the Sigstore policy-controller

Generated by \`test/interop/policy-parity.test.ts\`, which fails when this file is not what its runs produce
(\`SIGIL_UPDATE_PARITY_DOC=1 node scripts/run-tests.mjs test/interop/policy-parity\` rewrites it). Peers are
pinned in \`test/peers/versions.env\` and built by \`bash test/peers/install.sh kyverno policy-tester cosign-v3\`.

The images live on the loopback registry of a private Sigstore (\`sigil serve\`'s stack: log, CA with its CT
log, GitHub-Actions-shaped OIDC issuer), one Pod per image:

| image | how it is signed |
|---|---|
| unsigned | not at all |
| key-signed | by the right key (sigil), logged |
| cosign-signed | by the right key with the real cosign v3, not logged |
| cosign-bundle | the same, as a Sigstore bundle attached as an OCI referrer (\`--new-bundle-format\`) |
| wrong-key | by another key (sigil), logged |
| two-keys | by the right key and by the other key |
| keyless | keyless (sigil), identity \`https://github.com/org/app/.github/workflows/release.yml@refs/heads/main\` |
| keyless-myorg | keyless, the same workflow of \`myorg/app\` |
| keyless-look-alike | keyless, the same workflow of \`org-evil/app\` |
| attested | right key, plus SPDX 2.3, vuln (0 critical) and SLSA v0.2 (trusted builder) attestations |
| attested-bad | right key, plus SPDX 2.2, vuln (2 critical) and SLSA v0.2 (other builder) attestations |
| sig-elsewhere | right key, the signature in \`parity/signatures\` (cosign's COSIGN_REPOSITORY) |

A cell is the verdict both tools reach for that Pod; \`+digest\` means the Pod's image was rewritten to its
digest (mutateDigest). Where they differ the cell shows both, in bold, and the section's list says why.
`;

const KYVERNO_INTRO = `Each policy is one \`ClusterPolicy\` with one rule matching Pods; a cell is the worst rule result for
the Pod (pass, fail, error, skip; none when no rule applied), from \`kyverno apply POLICY --resource pods.yaml
--registry --policy-report\` and from \`sigil policy apply -o json\`. The Kyverno CLI writes no resource patched
by verifyImages, so an Audit probe policy beside it reports each Pod's image as Kyverno validates it after
verifyImages: that is the digest it pinned. The "Kyverno docs"
policies are written from Kyverno's verifyImages documentation, one feature each; the seed policies are the
users' guides' (\`test/fixtures/policies/seeds\`) with only what points at the outside world retargeted:
imageReferences to the loopback registry, placeholder keys to the right key, the GitHub issuer to the
stack's, and the public-good trust material to the private Sigstore's (\`roots\`, \`rekor.pubkey\`,
\`ctlog.pubkey\`).`;

const CIP_INTRO = `Each policy is one \`ClusterImagePolicy\` over \`parity/**\`; a cell is the admission: pass (admit) or fail (deny;
the tester prints nothing for warn mode, so an admission with warnings counts as an admission). The tester gets one run per image (\`tester --policy CIP --image REF
--trustroot trustroot.yaml\`), keyless authorities naming the private Sigstore through \`trustRootRef\` (a
\`TrustRoot\` with its \`sigstoreKeys\`); sigil reads the same trust as \`--trusted-root trusted_root.json\`,
so its copy of a keyless policy leaves \`trustRootRef\` out.`;
