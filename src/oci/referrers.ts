/**
 * Pushing OCI 1.1 referrers (manifests with a `subject`). A registry with the referrers API indexes them
 * itself and says so with `OCI-Subject`; for one without (distribution 2.8), the pusher keeps the
 * distribution spec's tag-schema index: an image index tagged `sha256-<hex>` of the subject, listing
 * the referrers' descriptors, updated read-modify-write.
 */
import { type Digest, SigilError, sha256Digest } from '../core/index.js';
import type { RegistryClient } from './client.js';
import { type Descriptor, isIndex, type Manifest, parseManifest } from './manifest.js';
import { OCI_INDEX, OCI_MANIFEST } from './media-types.js';
import { type Repository, referrersTag, repositoryName } from './reference.js';

/** The descriptor the referrers list shows for a manifest: its artifactType, or its config's media type. */
export function referrerDescriptor(
  manifest: Manifest,
  bytes: Buffer,
  mediaType: string,
  digest: Digest,
): Descriptor {
  const artifactType = manifest.artifactType ?? (isIndex(manifest) ? undefined : manifest.config.mediaType);
  return {
    mediaType,
    digest,
    size: bytes.length,
    ...(artifactType === undefined ? {} : { artifactType }),
    ...(manifest.annotations === undefined ? {} : { annotations: manifest.annotations }),
  };
}

/**
 * Pushes a referrer manifest (by digest) and, when the registry did not index it, adds it to the
 * tag-schema index. Returns the referrer's digest.
 */
export async function pushReferrer(
  client: RegistryClient,
  repo: Repository,
  bytes: Buffer,
  mediaType: string = OCI_MANIFEST,
): Promise<Digest> {
  const where = `referrer pushed to ${repositoryName(repo)}`;
  const manifest = parseManifest(bytes, mediaType, where);
  const subject = manifest.subject?.digest;
  if (subject === undefined) throw new SigilError('BAD_MANIFEST', `${where}: manifest has no subject`);
  const stored = await client.storeManifest(repo, sha256Digest(bytes), bytes, mediaType);
  if (!stored.subjectAcknowledged) {
    await addToTagSchemaIndex(
      client,
      repo,
      subject,
      referrerDescriptor(manifest, bytes, mediaType, stored.digest),
    );
  }
  return stored.digest;
}

/**
 * Updates in flight per tag-schema index, so that referrers pushed concurrently from this process are
 * applied one after the other. Distribution has no conditional PUT: two processes writing the same
 * index at once can still lose one entry, as with cosign and every other tag-schema client.
 */
const indexUpdates = new Map<string, Promise<void>>();

async function addToTagSchemaIndex(
  client: RegistryClient,
  repo: Repository,
  subject: Digest,
  entry: Descriptor,
): Promise<void> {
  await updateTagSchemaIndex(client, repo, subject, (listed) => [
    ...listed.filter((d) => d.digest !== entry.digest),
    entry,
  ]);
}

/**
 * Deletes a referrer manifest of `subject` and drops it from the tag-schema index, which is deleted once
 * empty (a registry with the referrers API forgets the referrer by itself). Other referrers stay listed.
 */
export async function deleteReferrer(
  client: RegistryClient,
  repo: Repository,
  subject: Digest,
  referrer: Digest,
): Promise<void> {
  await client.deleteManifest(repo, referrer);
  await updateTagSchemaIndex(client, repo, subject, (listed) => listed.filter((d) => d.digest !== referrer));
}

/** Rewrites the tag-schema index of `subject` to `change(listed)`; an empty index is deleted, not written. */
async function updateTagSchemaIndex(
  client: RegistryClient,
  repo: Repository,
  subject: Digest,
  change: (listed: Descriptor[]) => Descriptor[],
): Promise<void> {
  const key = `${repositoryName(repo)}@${subject}`;
  const previous = indexUpdates.get(key) ?? Promise.resolve();
  const update = previous
    .catch(() => undefined)
    .then(async () => {
      const listed = await client.tagSchemaReferrers(repo, subject);
      const manifests = change(listed);
      if (manifests.length === listed.length && manifests.every((d, i) => d === listed[i])) return;
      const tag = referrersTag(subject);
      if (manifests.length === 0) {
        // By digest: distribution refuses to delete a tag.
        const index = await client.headManifest(repo, tag);
        if (index) await client.deleteManifest(repo, index.digest);
        return;
      }
      const index = { schemaVersion: 2, mediaType: OCI_INDEX, manifests };
      await client.putManifest(repo, tag, Buffer.from(JSON.stringify(index)), OCI_INDEX);
    });
  indexUpdates.set(key, update);
  try {
    await update;
  } finally {
    if (indexUpdates.get(key) === update) indexUpdates.delete(key);
  }
}
