/**
 * One private Sigstore (`sigil serve`'s stack: registry, log, CA with its CT log, dev OIDC issuer) and one
 * set of images on its loopback registry, signed every way the policy parity tests compare verdicts on:
 * unsigned, by the right key (sigil and the real cosign), by a wrong key, by both keys, keyless with a
 * matching and a look-alike identity, with passing and failing attestations, with signatures kept in
 * another repository. Built once per test file: signing is the expensive part.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { encodePem } from '../../src/core/index.js';
import { attestImage, keylessSigner, signImage } from '../../src/cosign/index.js';
import {
  decryptPrivateKey,
  generateKeyPair,
  keySigner,
  publicKeyPem,
  type Signer,
} from '../../src/crypto/index.js';
import { parseReference, pushTestImage, RegistryClient } from '../../src/oci/index.js';
import { type RunningStack, startStack } from '../../src/server/index.js';
import { RekorClient } from '../../src/tlog/index.js';
import { workDir } from './cli.js';
import { COSIGN_KEY, COSIGN_PUB, FIXTURES, fixture } from './fixtures.js';

/** The images by label; every one is pushed as `<registry>/parity/<label>:v1`. */
export const IMAGE_LABELS = [
  'unsigned',
  'key-signed',
  'cosign-signed',
  'cosign-bundle',
  'wrong-key',
  'two-keys',
  'keyless',
  'keyless-myorg',
  'keyless-look-alike',
  'attested',
  'attested-bad',
  'sig-elsewhere',
] as const;
export type ImageLabel = (typeof IMAGE_LABELS)[number];

/** The trust material of the private Sigstore, as PEM, for policies that carry it themselves. */
export interface PrivateTrust {
  /** Fulcio's chain (keyless `roots`). */
  roots: string;
  /** The transparency log's key (`rekor.pubkey`) and URL. */
  rekorKey: string;
  rekorUrl: string;
  /** The CT log's key (`ctlog.pubkey`). */
  ctlogKey: string;
}

export interface ParityImages {
  stack: RunningStack;
  dir: string;
  registry: string;
  /** `<registry>/parity/<label>:v1`. */
  image(label: ImageLabel): string;
  digest(label: ImageLabel): string;
  /** The repository holding `sig-elsewhere`'s signature (Kyverno's `repository`, cosign's COSIGN_REPOSITORY). */
  signatureRepository: string;
  /** The right key (cosign's fixture key) and the wrong one, as public-key PEM. */
  keyPem: string;
  otherKeyPem: string;
  trust: PrivateTrust;
  /** The GitHub-Actions-shaped issuer and the identity `keyless` was signed with (org/app's release workflow). */
  issuer: string;
  identity: (repository: string) => string;
  close(): Promise<void>;
}

const run = promisify(execFile);

export const SPDX_GOOD = { spdxVersion: 'SPDX-2.3', SPDXID: 'SPDXRef-DOCUMENT', name: 'app', packages: [] };
export const SPDX_OLD = { ...SPDX_GOOD, spdxVersion: 'SPDX-2.2' };
const vuln = (criticalCount: number) => ({
  scanner: {
    uri: 'pkg:github/aquasecurity/trivy',
    version: '0.58.0',
    result: { summary: { criticalCount } },
  },
  metadata: { scanStartedOn: '2026-01-01T00:00:00Z', scanFinishedOn: '2026-01-01T00:00:01Z' },
});
export const BUILDER_ID =
  'https://github.com/slsa-framework/slsa-github-generator/.github/workflows/builder.yml';
const slsa = (builderId: string) => ({
  builder: { id: builderId },
  buildType: 'https://github.com/slsa-framework/slsa-github-generator/generic@v1',
  invocation: { configSource: { uri: 'git+https://github.com/org/app@refs/heads/main' } },
});

/** Starts the stack and signs every image; `cosign` is the real cosign binary (it signs `cosign-signed`). */
export async function startParityImages(cosign: string): Promise<ParityImages> {
  const dir = await workDir();
  const stack = await startStack({ dataDir: join(dir, '.sigil'), host: '127.0.0.1' });
  try {
    const client = new RegistryClient({});
    const tlog = new RekorClient(stack.urls.tlog);
    const registry = stack.registryAddress;
    const image = (label: ImageLabel) => `${registry}/parity/${label}:v1`;
    const digests = new Map<ImageLabel, string>();
    for (const label of IMAGE_LABELS) {
      const ref = parseReference(image(label));
      digests.set(label, await pushTestImage(client, ref, { files: { 'label.txt': `${label}\n` } }));
    }
    const key = keySigner(decryptPrivateKey(fixture(COSIGN_KEY).toString(), '', COSIGN_KEY));
    const other = keySigner(generateKeyPair('ecdsa-p256').privateKey);
    const sign = (label: ImageLabel, signer: Signer) =>
      signImage({ client, signer, image: parseReference(image(label)), tlog });
    const attest = (label: ImageLabel, type: string, predicate: unknown) =>
      attestImage({
        client,
        signer: key,
        image: parseReference(image(label)),
        type,
        predicate: Buffer.from(JSON.stringify(predicate)),
        predicateSource: `${label} ${type}`,
        tlog,
      });
    const issuer = stack.issuers['github-actions'];
    const keyless = async (label: ImageLabel, repository: string) => {
      const token = await stack.mintToken({ kind: 'github-actions', repository });
      await sign(label, await keylessSigner(stack.urls.ca, token));
    };

    await sign('key-signed', key);
    await sign('wrong-key', other);
    await sign('two-keys', key);
    await sign('two-keys', other);
    await keyless('keyless', 'org/app');
    await keyless('keyless-myorg', 'myorg/app');
    await keyless('keyless-look-alike', 'org-evil/app');
    for (const [label, spdx, critical, builder] of [
      ['attested', SPDX_GOOD, 0, BUILDER_ID],
      ['attested-bad', SPDX_OLD, 2, 'https://example.com/untrusted-builder'],
    ] as const) {
      await sign(label, key);
      await attest(label, 'spdxjson', spdx);
      await attest(label, 'vuln', vuln(critical));
      await attest(label, 'slsaprovenance', slsa(builder));
    }
    const signatureRepository = `${registry}/parity/signatures`;
    await withEnv('COSIGN_REPOSITORY', signatureRepository, () => sign('sig-elsewhere', key));
    // The real cosign signs two images with the same key, without the log (its default would upload to
    // the public Rekor, which is out of reach): one in the `.sig` layout, one as a Sigstore bundle referrer.
    for (const [label, bundle] of [
      ['cosign-signed', false],
      ['cosign-bundle', true],
    ] as const) {
      await run(
        cosign,
        [
          'sign',
          '--key',
          join(FIXTURES, COSIGN_KEY),
          '--use-signing-config=false',
          `--new-bundle-format=${bundle}`,
          '--tlog-upload=false',
          '--yes',
          image(label),
        ],
        { env: { ...process.env, COSIGN_PASSWORD: '', HOME: dir } },
      );
    }

    return {
      stack,
      dir,
      registry,
      image,
      digest: (label) => digests.get(label) as string,
      signatureRepository,
      keyPem: fixture(COSIGN_PUB).toString(),
      otherKeyPem: publicKeyPem(other.publicKey),
      trust: privateTrust(stack),
      issuer,
      identity: (repository) =>
        `https://github.com/${repository}/.github/workflows/release.yml@refs/heads/main`,
      close: async () => {
        await stack.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await stack.close();
    throw error;
  }
}

/** The stack's trusted_root.json as the PEM blocks a policy's `roots`, `rekor.pubkey` and `ctlog.pubkey` take. */
function privateTrust(stack: RunningStack): PrivateTrust {
  const root = JSON.parse(readFileSync(stack.trustedRootPath, 'utf8')) as {
    certificateAuthorities: { certChain: { certificates: { rawBytes: string }[] } }[];
    tlogs: { publicKey: { rawBytes: string } }[];
    ctlogs: { publicKey: { rawBytes: string } }[];
  };
  const der = (base64: string) => Buffer.from(base64, 'base64');
  const certificates = root.certificateAuthorities.flatMap((ca) => ca.certChain.certificates);
  return {
    roots: certificates.map((c) => encodePem('CERTIFICATE', der(c.rawBytes))).join(''),
    rekorKey: encodePem('PUBLIC KEY', der(root.tlogs[0]?.publicKey.rawBytes ?? '')),
    rekorUrl: stack.urls.tlog,
    ctlogKey: encodePem('PUBLIC KEY', der(root.ctlogs[0]?.publicKey.rawBytes ?? '')),
  };
}

/** cosign's COSIGN_REPOSITORY is read from the environment; set it for one signing only. */
async function withEnv<T>(name: string, value: string, body: () => Promise<T>): Promise<T> {
  const previous = process.env[name];
  process.env[name] = value;
  try {
    return await body();
  } finally {
    if (previous === undefined) delete process.env[name];
    else process.env[name] = previous;
  }
}
