/**
 * The Kyverno policies the parity test runs through the real Kyverno CLI and through sigil: samples written
 * from Kyverno's verifyImages documentation (one feature each), and every verifyImages policy of the users'
 * guides (test/fixtures/policies/seeds) retargeted to the loopback stack. Retargeting changes only what
 * points at the outside world: imageReferences (to the loopback registry), placeholder keys (to the right
 * key), the public GitHub issuer (to the stack's GitHub-shaped one) and the trust material (the private
 * Sigstore's roots and log keys, where the policy would have used the public-good instance's).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { BUILDER_ID, IMAGE_LABELS, type ParityImages } from './parity-images.js';

export interface ParityPolicy {
  /** The policy's metadata.name, unique in the corpus. */
  name: string;
  /** Where it comes from: "Kyverno docs: <feature>" or the seed's file name. */
  source: string;
  document: Record<string, unknown>;
}

const SEEDS = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'policies', 'seeds');
const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';

type Json = Record<string, unknown>;

/** A keyless identity in Go's regexp syntax only (shared with the ClusterImagePolicy corpus). */
export const GO_SYNTAX_IDENTITY = {
  subjectRegExp: '^https://github\\.com/(?P<org>[[:alpha:]]+)/app/',
  issuerRegExp: '(?i)^HTTP://127\\.0\\.0\\.1:[[:digit:]]+/',
};

export function kyvernoParityCorpus(images: ParityImages): ParityPolicy[] {
  return [...documentedSamples(images), ...seedPolicies(images)];
}

function clusterPolicy(name: string, verifyImages: Json[], source: string): ParityPolicy {
  return {
    name,
    source,
    document: {
      apiVersion: 'kyverno.io/v1',
      kind: 'ClusterPolicy',
      metadata: { name },
      spec: {
        validationFailureAction: 'Enforce',
        webhookTimeoutSeconds: 30,
        rules: [{ name: 'verify', match: { any: [{ resources: { kinds: ['Pod'] } }] }, verifyImages }],
      },
    },
  };
}

function documentedSamples(images: ParityImages): ParityPolicy[] {
  const { trust, registry, issuer } = images;
  const all = `${registry}/parity/*`;
  const offline = { rekor: { ignoreTlog: true, url: trust.rekorUrl }, ctlog: { ignoreSCT: true } };
  const key = (pem: string, extra: Json = offline) => ({ keys: { publicKeys: pem, ...extra } });
  const logged = { rekor: { pubkey: trust.rekorKey, url: trust.rekorUrl }, ctlog: { ignoreSCT: true } };
  const keyless = (identity: Json) => ({
    keyless: {
      ...identity,
      roots: trust.roots,
      rekor: { pubkey: trust.rekorKey, url: trust.rekorUrl },
      ctlog: { pubkey: trust.ctlogKey },
    },
  });
  const entries = (...e: Json[]) => [{ entries: e }];
  const right = key(images.keyPem);
  const sample = (name: string, feature: string, verifyImages: Json[]) =>
    clusterPolicy(name, verifyImages, `Kyverno docs: ${feature}`);
  const attestation = (type: string, conditions: Json[]) => ({
    type,
    attestors: entries(right),
    conditions: [{ all: conditions }],
  });
  return [
    sample('key', 'keys.publicKeys, no log', [{ imageReferences: [all], attestors: entries(right) }]),
    sample('key-logged', 'keys with rekor.pubkey (log required)', [
      { imageReferences: [all], attestors: entries(key(images.keyPem, logged)) },
    ]),
    sample('keyless-exact', 'keyless subject + issuer, roots', [
      {
        imageReferences: [all],
        attestors: entries(keyless({ subject: images.identity('org/app'), issuer })),
      },
    ]),
    sample('keyless-regexp', 'keyless subjectRegExp + issuerRegExp', [
      {
        imageReferences: [all],
        attestors: entries(
          keyless({ subjectRegExp: '^https://github\\.com/org/', issuerRegExp: '^http://127\\.0\\.0\\.1:' }),
        ),
      },
    ]),
    // Go's regexp syntax (Kyverno hands these to cosign, which compiles them with Go): a named group and
    // POSIX classes, which JavaScript's RegExp refuses or reads otherwise; `-` is not [[:alpha:]].
    sample('keyless-regexp-go', 'keyless subjectRegExp + issuerRegExp in Go syntax', [
      {
        imageReferences: [all],
        attestors: entries(keyless(GO_SYNTAX_IDENTITY)),
      },
    ]),
    sample('count-one-of-two', 'attestor count: 1 of two keys', [
      {
        imageReferences: [all],
        attestors: [{ count: 1, entries: [key(images.otherKeyPem), right] }],
      },
    ]),
    sample('all-of-two', 'two attestor entries, no count (all)', [
      { imageReferences: [all], attestors: entries(right, key(images.otherKeyPem)) },
    ]),
    sample('two-attestors', 'two attestors (each must pass)', [
      {
        imageReferences: [all],
        attestors: [{ entries: [right] }, { entries: [key(images.otherKeyPem)] }],
      },
    ]),
    sample('not-required', 'required: false', [
      { imageReferences: [all], required: false, attestors: entries(right) },
    ]),
    sample('no-mutate', 'mutateDigest: false, verifyDigest: false', [
      { imageReferences: [all], mutateDigest: false, verifyDigest: false, attestors: entries(right) },
    ]),
    sample('verify-digest', 'mutateDigest: false, verifyDigest: true', [
      { imageReferences: [all], mutateDigest: false, verifyDigest: true, attestors: entries(right) },
    ]),
    sample('skip-references', 'skipImageReferences', [
      {
        imageReferences: [all],
        skipImageReferences: [`${registry}/parity/unsigned*`, `${registry}/parity/keyless*`],
        attestors: entries(right),
      },
    ]),
    sample('registry-credentials', 'imageRegistryCredentials', [
      {
        imageReferences: [all],
        imageRegistryCredentials: { allowInsecureRegistry: true, providers: ['default'] },
        attestors: entries(right),
      },
    ]),
    sample('signature-repository', 'repository', [
      { imageReferences: [all], repository: images.signatureRepository, attestors: entries(right) },
    ]),
    sample('sigstore-bundle', 'type: SigstoreBundle, key', [
      { imageReferences: [all], type: 'SigstoreBundle', attestors: entries(right) },
    ]),
    sample('vuln', 'attestation: vuln criticalCount == 0', [
      {
        imageReferences: [all],
        attestations: [
          attestation('https://cosign.sigstore.dev/attestation/vuln/v1', [
            { key: '{{ scanner.result.summary.criticalCount }}', operator: 'Equals', value: 0 },
          ]),
        ],
      },
    ]),
    sample('spdx', 'attestation: SPDX version', [
      {
        imageReferences: [all],
        attestations: [
          attestation('https://spdx.dev/Document', [
            { key: '{{ spdxVersion }}', operator: 'Equals', value: 'SPDX-2.3' },
          ]),
        ],
      },
    ]),
    sample('slsa', 'attestation: SLSA builder id', [
      {
        imageReferences: [all],
        attestations: [
          attestation('https://slsa.dev/provenance/v0.2', [
            { key: '{{ builder.id }}', operator: 'Equals', value: BUILDER_ID },
          ]),
        ],
      },
    ]),
    sample('signed-and-attested', 'signature and two attestations in one entry', [
      {
        imageReferences: [all],
        attestors: entries(right),
        attestations: [
          attestation('https://spdx.dev/Document', [
            { key: '{{ spdxVersion }}', operator: 'AnyIn', value: ['SPDX-2.2', 'SPDX-2.3'] },
          ]),
          attestation('https://cosign.sigstore.dev/attestation/vuln/v1', [
            { key: '{{ scanner.result.summary.criticalCount }}', operator: 'LessThanOrEquals', value: 2 },
          ]),
        ],
      },
    ]),
  ];
}

/** Every seed file's verifyImages policies, retargeted to the loopback stack (see the header). */
function seedPolicies(images: ParityImages): ParityPolicy[] {
  const files = readdirYaml(SEEDS);
  return files.flatMap((file) =>
    parseAllDocuments(readFileSync(join(SEEDS, file), 'utf8'))
      .map((d) => d.toJSON() as Json | null)
      .filter((d): d is Json => d?.kind === 'ClusterPolicy' || d?.kind === 'Policy')
      .map((document) => {
        const name = `${basename(file).split('-')[0]}-${(document.metadata as Json).name as string}`;
        const retargeted = retarget(document, images) as Json;
        (retargeted.metadata as Json).name = name;
        return { name, source: `seed ${file}`, document: retargeted };
      }),
  );
}

function readdirYaml(dir: string): string[] {
  // Sorted so that the table's order does not depend on the file system.
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort();
}

/** A copy of a seed policy pointing at the loopback stack instead of the public world. */
function retarget(value: unknown, images: ParityImages): unknown {
  if (Array.isArray(value)) return value.map((v) => retarget(v, images));
  if (typeof value !== 'object' || value === null) return value;
  const out: Json = {};
  for (const [k, v] of Object.entries(value)) out[k] = retarget(v, images);
  const { trust } = images;
  if (Array.isArray(out.imageReferences)) out.imageReferences = [`${images.registry}/parity/*`];
  const keys = out.keys as Json | undefined;
  if (keys && typeof keys.publicKeys === 'string') {
    const rekor = (keys.rekor ?? {}) as Json;
    const ctlog = (keys.ctlog ?? {}) as Json;
    out.keys = {
      ...keys,
      publicKeys: images.keyPem,
      rekor: rekor.ignoreTlog ? rekor : { ...rekor, pubkey: trust.rekorKey, url: trust.rekorUrl },
      // Kyverno loads the CT log keys even for a key (its public-good ones from TUF, out of reach here).
      ctlog: ctlog.ignoreSCT ? ctlog : { ...ctlog, pubkey: trust.ctlogKey },
    };
  }
  const keyless = out.keyless as Json | undefined;
  if (keyless) {
    out.keyless = {
      ...keyless,
      ...(keyless.issuer === GITHUB_ISSUER ? { issuer: images.issuer } : {}),
      roots: trust.roots,
      rekor: { ...((keyless.rekor ?? {}) as Json), pubkey: trust.rekorKey, url: trust.rekorUrl },
      ctlog: { ...((keyless.ctlog ?? {}) as Json), pubkey: trust.ctlogKey },
    };
  }
  return out;
}

const every = (policy: string, why: string, labels: readonly string[] = IMAGE_LABELS) =>
  Object.fromEntries(labels.map((label) => [`${policy}/${label}`, why]));

/** `policy/image` → why sigil's verdict differs from Kyverno's (each one admits or denies alike, or is open). */
export const KYVERNO_DIFFERENCES: Record<string, string> = {
  ...every(
    'skip-references',
    'Kyverno still resolves and pins the digest of an image its skipImageReferences exclude; sigil leaves an image ' +
      'it does not verify as written (no registry call). Both admit, both report `skip`.',
    ['unsigned', 'keyless', 'keyless-myorg', 'keyless-look-alike'],
  ),
};
