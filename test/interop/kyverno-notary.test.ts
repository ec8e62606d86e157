/**
 * `type: Notary` verdicts of the real Kyverno CLI (`kyverno apply --registry`) and `sigil policy apply`
 * agree, image by image, over Notation signatures sigil makes (JWS and COSE) on the loopback registry:
 * the Kyverno chapter's `verify-notation-signature` policy with a real certificate in place of its
 * placeholder, a `count` policy, and Notation-signed attestations with conditions over their content.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { encodePem } from '../../src/core/index.js';
import { RegistryClient, type RunningRegistry } from '../../src/oci/index.js';
import { workDir } from '../helpers/cli.js';
import { startTestRegistry } from '../helpers/embedded-registry.js';
import { NOTATION_SEED_POLICY, pushNotaryImages, SBOM_TYPE } from '../helpers/notary-images.js';
import type { TestPki } from '../helpers/notation-pki.js';
import { cell } from '../helpers/parity-table.js';
import { requirePeer } from '../helpers/peers.js';
import {
  kyvernoAndSigilVerdicts,
  type Pod,
  podsManifest,
  type Verdicts,
} from '../helpers/policy-verdicts.js';

const kyverno = requirePeer('kyverno', 'kubectl-kyverno');

type Json = Record<string, unknown>;

describe('Kyverno CLI and sigil agree on type: Notary', { skip: kyverno.skip }, () => {
  let registry: RunningRegistry;
  let dir: string;
  let trusted: TestPki;
  let untrusted: TestPki;
  let pods: Pod[];
  let resources: string;
  const client = new RegistryClient({});

  before(async () => {
    registry = await startTestRegistry();
    dir = await workDir();
    const made = await pushNotaryImages(client, registry);
    ({ trusted, untrusted } = made);
    pods = Object.entries(made.images).map(([name, image]) => ({ name, image }));
    resources = join(dir, 'pods.yaml');
    await writeFile(resources, podsManifest(pods));
  });
  after(() => registry?.close());

  const rootPem = (pki: TestPki) => encodePem('CERTIFICATE', pki.rootDer);
  const compare = async (name: string, document: Json) => {
    const { peer, ours } = await kyvernoAndSigilVerdicts(
      kyverno.path,
      join(dir, name),
      document,
      resources,
      pods,
    );
    // As the parity table (test/helpers/parity-table.ts): a cell is the result and, for an admitted Pod,
    // the image it is admitted with (a denied Pod's patch goes nowhere, though the Kyverno CLI computes one).
    const table = (verdicts: Verdicts) => Object.fromEntries([...verdicts].map(([pod, v]) => [pod, cell(v)]));
    assert.deepEqual(
      table(ours.verdicts),
      table(peer.verdicts),
      `${name}: sigil vs Kyverno\n${peer.output.slice(0, 4000)}`,
    );
    return { peer: peer.verdicts, ours: ours.verdicts };
  };
  const policy = (name: string, verifyImages: Json[]): Json => ({
    apiVersion: 'kyverno.io/v1',
    kind: 'ClusterPolicy',
    metadata: { name },
    spec: {
      validationFailureAction: 'Enforce',
      rules: [{ name: `${name}-rule`, match: { any: [{ resources: { kinds: ['Pod'] } }] }, verifyImages }],
    },
  });

  it("the Kyverno chapter's verify-notation-signature, with a real certificate", async () => {
    const seed = parse(readFileSync(NOTATION_SEED_POLICY, 'utf8')) as Json;
    const rule = (seed.spec as { rules: Json[] }).rules[0] as { verifyImages: Json[] };
    const verification = rule.verifyImages[0] as Json & {
      attestors: { entries: { certificates: Json }[] }[];
    };
    verification.imageReferences = [`${registry.address}/*`];
    const certificates = verification.attestors[0]?.entries[0]?.certificates as Json;
    certificates.cert = encodePem('CERTIFICATE', trusted.leafDer);
    certificates.certChain = rootPem(trusted);
    const { ours } = await compare('seed-notation', seed);
    assert.equal(ours.get('jws')?.result, 'pass');
    assert.equal(ours.get('cose')?.result, 'pass');
    assert.equal(ours.get('untrusted')?.result, 'fail');
    assert.equal(ours.get('unsigned')?.result, 'fail');
  });

  it('count: 1 of an untrusted and a trusted certificate', async () => {
    const entries = [
      { certificates: { cert: rootPem(untrusted) } },
      { certificates: { cert: rootPem(trusted) } },
    ];
    await compare(
      'notary-count',
      policy('notary-count', [
        { type: 'Notary', imageReferences: [`${registry.address}/*`], attestors: [{ count: 1, entries }] },
      ]),
    );
  });

  for (const [license, expected] of [
    ['GPL-3.0', 'pass'],
    ['MIT', 'fail'],
  ] as const) {
    it(`attestations of type ${SBOM_TYPE}, conditions over the content (${license})`, async () => {
      const { ours } = await compare(
        `notary-sbom-${license.toLowerCase()}`,
        policy(`notary-sbom-${license.toLowerCase()}`, [
          {
            type: 'Notary',
            imageReferences: [`${registry.address}/team/attested*`],
            attestations: [
              {
                type: SBOM_TYPE,
                attestors: [{ entries: [{ certificates: { cert: rootPem(trusted) } }] }],
                conditions: [
                  {
                    all: [
                      {
                        key: '{{ components[].licenses[].expression }}',
                        operator: 'AllIn',
                        value: [license],
                      },
                    ],
                  },
                ],
              },
            ],
          },
        ]),
      );
      assert.equal(ours.get('attested')?.result, expected);
      assert.equal(ours.get('attested-unsigned')?.result, 'fail');
    });
  }
});
