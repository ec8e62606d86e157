/**
 * Images for Kyverno `type: Notary` tests, signed with sigil's Notation signing on a registry: by a trusted
 * test PKI (JWS and COSE), by another PKI, unsigned, and with a CycloneDX SBOM attached as Kyverno's Notary
 * attestations expect it (what `oras attach --artifact-type sbom/cyclone-dx` makes: an OCI 1.1 manifest of
 * that artifactType whose subject is the image and whose one layer is the JSON), the attachment signed by
 * the trusted PKI, by the other one, or not at all.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Digest, sha256Digest } from '../../src/core/index.js';
import { signArtifact } from '../../src/notation/index.js';
import {
  OCI_EMPTY,
  parseReference,
  pushReferrer,
  type RegistryClient,
  type RunningRegistry,
  withDigest,
} from '../../src/oci/index.js';
import { pushTeamImage } from './embedded-registry.js';
import { makePki, type TestPki } from './notation-pki.js';

/** The Kyverno chapter's `verify-notation-signature` policy, as the guide writes it (placeholder certificate). */
export const NOTATION_SEED_POLICY = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'fixtures',
  'policies',
  'seeds',
  'seed003-verify-notation-signature.yaml',
);

export const SBOM_TYPE = 'sbom/cyclone-dx';
export const SBOM = {
  bomFormat: 'CycloneDX',
  components: [{ name: 'lib', licenses: [{ expression: 'GPL-3.0' }] }],
};

export type NotaryImage =
  | 'jws'
  | 'cose'
  | 'untrusted'
  | 'unsigned'
  | 'attested'
  | 'attested-unsigned'
  | 'attested-untrusted';

export interface NotaryImages {
  trusted: TestPki;
  untrusted: TestPki;
  /** Name → `<registry>/team/<name>:v1`. */
  images: Record<NotaryImage, string>;
}

export async function pushNotaryImages(
  client: RegistryClient,
  registry: RunningRegistry,
): Promise<NotaryImages> {
  const trusted = await makePki();
  const untrusted = await makePki();
  const sign = (image: string, pki: TestPki, format: 'jws' | 'cose' = 'jws') =>
    signArtifact(client, parseReference(image), { signer: pki.signer, format, signingAgent: 'sigil/test' });
  const names: NotaryImage[] = [
    'jws',
    'cose',
    'untrusted',
    'unsigned',
    'attested',
    'attested-unsigned',
    'attested-untrusted',
  ];
  const images = {} as Record<NotaryImage, string>;
  for (const name of names) images[name] = await pushTeamImage(client, registry, name);
  await sign(images.jws, trusted);
  await sign(images.cose, trusted, 'cose');
  await sign(images.untrusted, untrusted);
  for (const [name, signer] of [
    ['attested', trusted],
    ['attested-unsigned', undefined],
    ['attested-untrusted', untrusted],
  ] as const) {
    await sign(images[name], trusted);
    const attachment = await attachArtifact(client, images[name], SBOM_TYPE, SBOM);
    if (signer) await sign(attachment, signer);
  }
  return { trusted, untrusted, images };
}

/** Attaches `content` to `image` as a referrer of `artifactType`; returns the attachment's reference. */
export async function attachArtifact(
  client: RegistryClient,
  image: string,
  artifactType: string,
  content: unknown,
): Promise<string> {
  const ref = parseReference(image);
  const subject = await client.getManifest(ref, await client.resolveDigest(ref));
  const bytes = Buffer.from(JSON.stringify(content));
  const empty = Buffer.from('{}');
  await client.pushBlob(ref, bytes);
  await client.pushBlob(ref, empty);
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    artifactType,
    config: { mediaType: OCI_EMPTY, digest: sha256Digest(empty), size: empty.length },
    layers: [{ mediaType: 'application/json', digest: sha256Digest(bytes), size: bytes.length }],
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.bytes.length },
  };
  const digest: Digest = await pushReferrer(client, ref, Buffer.from(JSON.stringify(manifest)));
  const pinned = withDigest(ref, digest);
  return `${pinned.registry}/${pinned.repository}@${digest}`;
}
