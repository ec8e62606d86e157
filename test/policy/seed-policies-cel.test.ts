/**
 * Each seed ClusterPolicy (test/fixtures/policies/seeds) and an ImageValidatingPolicy that says the same thing
 * (written here, one per seed) reach the same verdict in sigil, over images on an embedded registry signed and
 * attested with one key: signed with good attestations, signed with bad ones, and unsigned. Both are retargeted
 * the same way (the registry's images, the test key; signatures without a log entry, attestations logged
 * in a `sigil tlog serve`, since Kyverno's ImageValidatingPolicy counts no attestation without its log
 * entry); keyless seeds are compared in test/interop (they need a private Sigstore), and the two seeds
 * Kyverno refuses to load are left out.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { attestImage, signImage } from '../../src/cosign/index.js';
import { generateKeyPair, keySigner, publicKeyPem } from '../../src/crypto/index.js';
import { parseReference, RegistryClient, type RunningRegistry } from '../../src/oci/index.js';
import {
  evaluateResource,
  type PolicySet,
  readImageValidatingPolicy,
  readPolicyDocument,
} from '../../src/policy/index.js';
import { RekorClient } from '../../src/tlog/index.js';
import { workDir } from '../helpers/cli.js';
import { pushTeamImage, startTestRegistry } from '../helpers/embedded-registry.js';
import { podRequest } from '../helpers/kyverno-policy.js';
import { startTlogProcess, type TlogProcess } from '../helpers/tlog-process.js';

const SEEDS = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'policies', 'seeds');
const VULN = 'https://cosign.sigstore.dev/attestation/vuln/v1';
const SPDX = 'https://spdx.dev/Document';

/** The CEL each seed's attestation conditions say, by predicate type. */
const CONDITION_IN_CEL: Record<string, string> = {
  [SPDX]: "extractPayload(image, attestations.a0).predicate.spdxVersion == 'SPDX-2.3'",
  [VULN]: 'extractPayload(image, attestations.a0).predicate.scanner.result.summary.criticalCount == 0',
};

const SEED_FILES = [
  'seed000-verify-image-signatures.yaml',
  'seed003-verify-image-signature.yaml',
  'seed003-require-sbom-attestation.yaml',
  'seed003-require-vuln-scan.yaml',
  'seed003-verify-notation-signature.yaml',
];

describe('each seed ClusterPolicy and its ImageValidatingPolicy rewrite: same verdicts', () => {
  let registry: RunningRegistry;
  let log: TlogProcess;
  let logKey: string;
  const client = new RegistryClient({});
  const key = generateKeyPair('ecdsa-p256');
  const signer = keySigner(key.privateKey);
  const pem = publicKeyPem(key.publicKey);
  const images: Record<string, string> = {};

  before(async () => {
    registry = await startTestRegistry();
    log = await startTlogProcess(await workDir());
    const tlog = new RekorClient(log.url);
    logKey = await tlog.publicKey();
    for (const name of ['good', 'bad', 'unsigned'])
      images[name] = await pushTeamImage(client, registry, name);
    for (const [name, critical, spdx] of [
      ['good', 0, 'SPDX-2.3'],
      ['bad', 2, 'SPDX-2.2'],
    ] as const) {
      const image = parseReference(images[name] as string);
      await signImage({ client, signer, image });
      const attest = (type: string, predicate: unknown) =>
        attestImage({
          client,
          signer,
          image,
          type,
          predicate: Buffer.from(JSON.stringify(predicate)),
          predicateSource: 'test',
          tlog,
        });
      await attest(VULN, { scanner: { result: { summary: { criticalCount: critical } } } });
      await attest(SPDX, { spdxVersion: spdx, SPDXID: 'SPDXRef-DOCUMENT' });
    }
  });
  after(async () => {
    await registry.close();
    await log?.stop();
  });

  const verdicts = async (policies: PolicySet, namespace: string) => {
    const out: Record<string, boolean> = {};
    for (const [name, image] of Object.entries(images)) {
      const request = podRequest([image], namespace);
      out[name] = (await evaluateResource(request, policies, { client, endpoint: 'mutate' })).allowed;
    }
    return out;
  };

  for (const file of SEED_FILES) {
    it(file, async () => {
      const seed = parse(readFileSync(join(SEEDS, file), 'utf8'));
      const pattern = `${registry.address}/team/*`;
      const trust = { pem, logKey, logUrl: log.url };
      const cpol = retargetClusterPolicy(seed, pattern, trust);
      const ivpol = rewriteAsImageValidatingPolicy(seed, pattern, trust);
      // A seed naming namespaces (seed000: ai-inference) is checked in its first one.
      const namespace = namespacesOf(seed)[0] ?? 'default';
      const ours = await verdicts({ policies: [readPolicyDocument(cpol, file)] }, namespace);
      const rewritten = await verdicts(
        { policies: [readImageValidatingPolicy(ivpol, `${file} (rewritten)`)] },
        namespace,
      );
      assert.deepEqual(rewritten, ours);
      const notary = file.includes('notation');
      assert.deepEqual(ours, {
        good: !notary,
        bad: !notary && !seed.spec.rules[0].verifyImages[0].attestations,
        unsigned: false,
      });
    });
  }
});

type Seed = {
  metadata: { name: string };
  spec: {
    rules: {
      match: { any?: { resources?: { namespaces?: string[] } }[] };
      verifyImages: Record<string, unknown>[];
    }[];
  } & Record<string, unknown>;
};

/** The namespaces the seed's rule is limited to (none: every namespace). */
function namespacesOf(seed: Seed): string[] {
  return (seed.spec.rules[0]?.match.any ?? []).flatMap((b) => b.resources?.namespaces ?? []);
}

interface Trust {
  pem: string;
  logKey: string;
  logUrl: string;
}

/** The seed with the registry's images and the test key: signatures unlogged, attestations logged. */
function retargetClusterPolicy(seed: Seed, pattern: string, trust: Trust): unknown {
  const copy = structuredClone(seed);
  for (const v of copy.spec.rules[0]?.verifyImages ?? []) {
    v.imageReferences = [pattern];
    const retarget = (sets: unknown, rekor: Record<string, unknown>) => {
      for (const set of (sets ?? []) as { entries: { keys?: Record<string, unknown> }[] }[]) {
        for (const entry of set.entries) {
          if (entry.keys) entry.keys = { publicKeys: trust.pem, rekor };
        }
      }
    };
    retarget(v.attestors, { ignoreTlog: true });
    for (const a of (v.attestations ?? []) as { attestors?: unknown }[]) {
      retarget(a.attestors, { pubkey: trust.logKey, url: trust.logUrl });
    }
  }
  return copy;
}

/** The same policy said as an ImageValidatingPolicy. */
function rewriteAsImageValidatingPolicy(seed: Seed, pattern: string, trust: Trust): unknown {
  const v = seed.spec.rules[0]?.verifyImages[0] ?? {};
  const attestations = (v.attestations ?? []) as { type: string }[];
  const notary = v.type === 'Notary';
  const attestor = notary
    ? { name: 'a', notary: { certs: { value: 'placeholder' } } }
    : attestations.length
      ? {
          name: 'a',
          cosign: { key: { data: trust.pem }, ctlog: { url: trust.logUrl, rekorPubKey: trust.logKey } },
        }
      : { name: 'a', cosign: { key: { data: trust.pem }, ctlog: { insecureIgnoreTlog: true } } };
  const each = (expression: string) => `images.containers.all(image, ${expression})`;
  const validations = attestations.length
    ? attestations.flatMap((a) => [
        { expression: each('verifyAttestationSignatures(image, attestations.a0, [attestors.a]) > 0') },
        { expression: each(CONDITION_IN_CEL[a.type] ?? 'false') },
      ])
    : [{ expression: each('verifyImageSignatures(image, [attestors.a]) > 0') }];
  return {
    apiVersion: 'policies.kyverno.io/v1',
    kind: 'ImageValidatingPolicy',
    metadata: { name: seed.metadata.name },
    spec: {
      validationActions: ['Deny'],
      matchConstraints: {
        resourceRules: [
          { apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['pods'] },
        ],
      },
      ...(namespacesOf(seed).length > 0
        ? {
            matchConditions: [
              {
                name: 'namespaces',
                expression: `request.namespace in ${JSON.stringify(namespacesOf(seed))}`,
              },
            ],
          }
        : {}),
      matchImageReferences: [{ glob: pattern }],
      attestors: [attestor],
      attestations: attestations.map((a) => ({ name: 'a0', intoto: { type: a.type } })),
      validations,
    },
  };
}
