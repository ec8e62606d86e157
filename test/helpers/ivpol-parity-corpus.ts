/**
 * ImageValidatingPolicies the parity test runs through the real Kyverno CLI and through sigil, written here
 * from Kyverno's ImageValidatingPolicy documentation (one feature each) over the parity images. Most turn
 * digest handling off (`mutateDigest`, `verifyDigest`: false): `kyverno apply` runs only the validating half
 * of the policy (no digest pinning), so with the defaults every image written by tag fails before any
 * signature is checked; one row keeps the defaults to show that.
 */

import type { ParityPolicy } from './kyverno-parity-corpus.js';
import { BUILDER_ID, type ParityImages } from './parity-images.js';

type Json = Record<string, unknown>;

const VULN = 'https://cosign.sigstore.dev/attestation/vuln/v1';
const SPDX = 'https://spdx.dev/Document';
const SLSA = 'https://slsa.dev/provenance/v0.2';

export function ivpolParityCorpus(images: ParityImages): ParityPolicy[] {
  const { trust, registry, issuer } = images;
  const offline = { ctlog: { url: trust.rekorUrl, insecureIgnoreTlog: true, insecureIgnoreSCT: true } };
  const logged = { ctlog: { url: trust.rekorUrl, rekorPubKey: trust.rekorKey, insecureIgnoreSCT: true } };
  const key = (name: string, pem: string, extra: Json = offline): Json => ({
    name,
    cosign: { key: { data: pem }, ...extra },
  });
  const keyless = (name: string, identities: Json[]): Json => ({
    name,
    cosign: {
      keyless: { identities, roots: trust.roots },
      ctlog: { url: trust.rekorUrl, rekorPubKey: trust.rekorKey, ctLogPubKey: trust.ctlogKey },
    },
  });
  const right = key('right', images.keyPem);
  const other = key('other', images.otherKeyPem);
  const each = (predicate: string) => `images.containers.all(image, ${predicate})`;
  const signedBy = (...names: string[]) =>
    each(
      `verifyImageSignatures(image, [${names.map((n) => `attestors.${n}`).join(', ')}]) >= ${names.length}`,
    );
  const policy = (
    name: string,
    feature: string,
    spec: Json,
    config: Json = { mutateDigest: false, verifyDigest: false },
  ) => ({
    name,
    source: `Kyverno docs: ${feature}`,
    document: {
      apiVersion: 'policies.kyverno.io/v1',
      kind: 'ImageValidatingPolicy',
      metadata: { name },
      spec: {
        validationActions: ['Deny'],
        matchConstraints: {
          resourceRules: [
            { apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['pods'] },
          ],
        },
        matchImageReferences: [{ glob: `${registry}/parity/*` }],
        validationConfigurations: config,
        ...spec,
      },
    },
  });
  const attested = (type: string, check: string) => ({
    attestors: [right],
    attestations: [{ name: 'a', intoto: { type } }],
    validations: [
      {
        expression: each('verifyAttestationSignatures(image, attestations.a, [attestors.right]) > 0'),
        message: 'attestation not verified',
      },
      {
        expression: each(`extractPayload(image, attestations.a).predicate.${check}`),
        message: 'attestation content',
      },
    ],
  });
  return [
    policy('ivpol-key', 'cosign key, no log', {
      attestors: [right],
      validations: [{ expression: signedBy('right'), message: 'not signed by the right key' }],
    }),
    policy('ivpol-key-logged', 'cosign key with ctlog.rekorPubKey (log required)', {
      attestors: [key('right', images.keyPem, logged)],
      validations: [{ expression: signedBy('right'), message: 'not signed and logged' }],
    }),
    policy('ivpol-keyless', 'keyless identities (subject + issuer), roots', {
      attestors: [keyless('ci', [{ subject: images.identity('org/app'), issuer }])],
      validations: [{ expression: signedBy('ci'), message: 'not signed by CI' }],
    }),
    policy('ivpol-keyless-regexp', 'keyless identities (subjectRegExp + issuerRegExp)', {
      attestors: [
        keyless('ci', [
          { subjectRegExp: '^https://github\\.com/org/', issuerRegExp: '^http://127\\.0\\.0\\.1:' },
        ]),
      ],
      validations: [{ expression: signedBy('ci'), message: 'not signed by CI' }],
    }),
    policy('ivpol-two-keys', 'two attestors, both required', {
      attestors: [right, other],
      validations: [{ expression: signedBy('right', 'other'), message: 'not signed by both' }],
    }),
    policy('ivpol-one-of-two', 'two attestors, one suffices', {
      attestors: [right, other],
      validations: [
        {
          expression: each('verifyImageSignatures(image, [attestors.right, attestors.other]) > 0'),
          message: 'signed by neither',
        },
      ],
    }),
    policy('ivpol-source', 'cosign.source.repository', {
      attestors: [
        {
          name: 'right',
          cosign: {
            key: { data: images.keyPem },
            source: { repository: images.signatureRepository },
            ...offline,
          },
        },
      ],
      validations: [{ expression: signedBy('right'), message: 'no signature in the repository' }],
    }),
    policy(
      'ivpol-vuln',
      'in-toto attestation, payload check (vuln)',
      attested(VULN, 'scanner.result.summary.criticalCount == 0'),
    ),
    policy(
      'ivpol-spdx',
      'in-toto attestation, payload check (SPDX)',
      attested(SPDX, "spdxVersion == 'SPDX-2.3'"),
    ),
    policy(
      'ivpol-slsa',
      'in-toto attestation, payload check (SLSA)',
      attested(SLSA, `builder.id == '${BUILDER_ID}'`),
    ),
    policy('ivpol-match-expression', 'matchImageReferences expression', {
      matchImageReferences: [{ expression: "ref.contains('/parity/key') || ref.contains('/parity/wrong')" }],
      attestors: [right],
      validations: [{ expression: signedBy('right'), message: 'not signed by the right key' }],
    }),
    policy('ivpol-audit', 'validationActions: Audit', {
      validationActions: ['Audit'],
      attestors: [right],
      validations: [{ expression: signedBy('right'), message: 'not signed by the right key' }],
    }),
    policy('ivpol-message-expression', 'messageExpression and variables', {
      variables: [{ name: 'count', expression: 'size(images.containers)' }],
      attestors: [right],
      validations: [
        {
          expression: signedBy('right'),
          messageExpression: "'unsigned images: ' + string(variables.count)",
        },
      ],
    }),
    policy(
      'ivpol-not-required',
      'required: false, no verification called',
      {
        attestors: [right],
        validations: [{ expression: 'true' }],
      },
      { mutateDigest: false, verifyDigest: false, required: false },
    ),
    policy('ivpol-required', 'required (default), no verification called', {
      attestors: [right],
      validations: [{ expression: 'true' }],
    }),
    policy(
      'ivpol-defaults',
      'mutateDigest and verifyDigest left at their defaults',
      {
        attestors: [right],
        validations: [{ expression: signedBy('right'), message: 'not signed by the right key' }],
      },
      {},
    ),
  ];
}

/** A seed ClusterPolicy (retargeted as in the ClusterPolicy corpus) and the ImageValidatingPolicy saying the same. */
export interface SeedRewrite {
  name: string;
  clusterPolicy: Json;
  imageValidatingPolicy: Json;
}

/** Kyverno's subject wildcard (`*` any text) as the regular expression an ImageValidatingPolicy identity takes. */
function wildcardRegExp(pattern: string): string {
  return `^${pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*')}$`;
}

/**
 * The keyless seeds (users' guides) rewritten as ImageValidatingPolicies: each keyless entry an attestor
 * with one identity (a `subject` wildcard becomes a `subjectRegExp`), a set's count a `>=` on how many
 * verified, the rule's namespaces a matchCondition.
 */
export function keylessSeedRewrites(seeds: ParityPolicy[]): SeedRewrite[] {
  return seeds.flatMap(({ name, document }) => {
    const spec = document.spec as { rules: Json[] };
    const rule = spec.rules[0] as {
      match: { any?: { resources?: { namespaces?: string[] } }[] };
      verifyImages: Json[];
    };
    const verification = rule.verifyImages[0] as {
      imageReferences: string[];
      attestors?: { count?: number; entries: Json[] }[];
    };
    const entries = verification.attestors?.flatMap((set) => set.entries) ?? [];
    if (entries.length === 0 || !entries.every((e) => e.keyless)) return [];
    const attestors = entries.map((entry, i) => {
      const k = entry.keyless as Record<string, string | Json>;
      const rekor = k.rekor as { pubkey: string; url: string };
      const identity = {
        ...(typeof k.subject === 'string'
          ? k.subject.includes('*')
            ? { subjectRegExp: wildcardRegExp(k.subject) }
            : { subject: k.subject }
          : {}),
        ...(k.subjectRegExp ? { subjectRegExp: k.subjectRegExp } : {}),
        ...(k.issuer ? { issuer: k.issuer } : {}),
        ...(k.issuerRegExp ? { issuerRegExp: k.issuerRegExp } : {}),
      };
      return {
        name: `e${i}`,
        cosign: {
          keyless: { identities: [identity], roots: k.roots },
          ctlog: {
            url: rekor.url,
            rekorPubKey: rekor.pubkey,
            ctLogPubKey: (k.ctlog as { pubkey: string }).pubkey,
          },
        },
      };
    });
    const needed = verification.attestors?.[0]?.count ?? entries.length;
    const namespaces = rule.match.any?.flatMap((b) => b.resources?.namespaces ?? []) ?? [];
    const names = attestors.map((a) => `attestors.${a.name}`).join(', ');
    return [
      {
        name,
        clusterPolicy: document,
        imageValidatingPolicy: {
          apiVersion: 'policies.kyverno.io/v1',
          kind: 'ImageValidatingPolicy',
          metadata: { name },
          spec: {
            matchConstraints: {
              resourceRules: [
                {
                  apiGroups: [''],
                  apiVersions: ['v1'],
                  operations: ['CREATE', 'UPDATE'],
                  resources: ['pods'],
                },
              ],
            },
            ...(namespaces.length
              ? {
                  matchConditions: [
                    { name: 'namespaces', expression: `request.namespace in ${JSON.stringify(namespaces)}` },
                  ],
                }
              : {}),
            matchImageReferences: verification.imageReferences.map((glob) => ({ glob })),
            attestors,
            validations: [
              { expression: `images.containers.all(i, verifyImageSignatures(i, [${names}]) >= ${needed})` },
            ],
          },
        },
      },
    ];
  });
}
