/**
 * `copy`: an image with its signatures, attestations and SBOMs, e.g. into an air-gapped registry, as
 * `cosign copy` does it. For the image and, for an index, every child manifest: the `sha256-<hex>.sig`,
 * `.att` and `.sbom` artifacts (from the signature repository, COSIGN_REPOSITORY or the image's own) go to
 * the same tags in the destination repository, and the OCI 1.1 referrers (Sigstore bundles) go along as
 * referrers there. The destination tag is written last, so whoever pulls it finds the signatures in place.
 *
 * Without `force`, a destination tag that already names other content stops the copy, as in cosign
 * ("already exists, use -f"); one that names the same content is left alone. Unlike cosign, every tag is
 * checked before anything is written, so a refused copy writes nothing. Unlike cosign, the image is not
 * also tagged `sha256-<hex>` at the destination: that tag is the referrers tag-schema index of the image
 * on registries without the referrers API, and the image is reachable by its digest anyway. For the same
 * reason `--only` copies just the chosen artifacts, where cosign also pushes the image under that tag.
 */
import { type Digest, isSigilError, mapLimited, SigilError } from '../core/index.js';
import { type ArtifactSuffix, artifactTag } from '../formats/index.js';
import { NOTATION_ARTIFACT_TYPE } from '../notation/index.js';
import {
  type CopyStats,
  type Descriptor,
  type FetchedManifest,
  formatReference,
  ImageCopier,
  type ImageReference,
  isIndex,
  manifestReference,
  type Platform,
  pushReferrer,
  type RegistryClient,
  type Repository,
  repositoryName,
  selectPlatform,
  withDigest,
} from '../oci/index.js';
import {
  BUNDLE_PREDICATE_TYPE_ANNOTATION,
  BUNDLE_V03_MEDIA_TYPE,
  COSIGN_SIGN_PREDICATE_TYPE,
} from './bundle-referrers.js';
import { signatureRepository } from './signature-repository.js';
import { signedEntities } from './signed-entities.js';

/** The artifact kinds `--only` takes, by their tag suffix as cosign names them. */
export const COPY_ONLY_VALUES: readonly ArtifactSuffix[] = ['sig', 'att', 'sbom'];

export interface CopyOptions {
  /** Copy only these artifacts, neither the image nor its tag (cosign's `--only`); default: everything. */
  only?: readonly ArtifactSuffix[];
  /** Overwrite destination tags that name other content. */
  force?: boolean;
  /** Copy just this platform's image of an index (and its artifacts); the destination tag names it. */
  platform?: Platform;
  /** One line per manifest copied, for progress on stderr. */
  onProgress?: (message: string) => void;
  concurrency?: number;
  env?: NodeJS.ProcessEnv;
}

export type CopiedKind = 'image' | 'referrer' | ArtifactSuffix;

export interface CopiedItem {
  kind: CopiedKind;
  /** Where it is now, e.g. `registry/app:sha256-<hex>.sig` or `registry/app@sha256:...`. */
  destination: string;
  digest: Digest;
  /** `unchanged`: the destination tag already named this content. */
  status: 'copied' | 'unchanged';
}

export interface CopyResult {
  source: string;
  destination: string;
  digest: Digest;
  items: CopiedItem[];
  stats: CopyStats;
}

/** A tagged artifact found at the source, and what its destination tag holds now. */
interface PlannedTag {
  kind: ArtifactSuffix | 'image';
  from: Repository;
  digest: Digest;
  tag: string;
  unchanged: boolean;
}

/** What a copy will write, found at the source before anything is written. */
interface CopyPlan {
  root: FetchedManifest;
  /** The destination tag of the image; none with `--only` or a destination named by digest. */
  imageTag?: PlannedTag;
  artifacts: PlannedTag[];
  referrers: { subject: Digest; descriptor: Descriptor }[];
}

export async function copyImage(
  client: RegistryClient,
  source: ImageReference,
  destination: ImageReference,
  options: CopyOptions = {},
): Promise<CopyResult> {
  const progress = options.onProgress ?? (() => undefined);
  const concurrency = options.concurrency ?? 4;
  const sourceRepo = repositoryOf(source);
  const destRepo = repositoryOf(destination);
  const plan = await planCopy(client, source, destination, options, concurrency);
  const tags = [...(plan.imageTag ? [plan.imageTag] : []), ...plan.artifacts];
  await checkDestinationTags(client, destRepo, tags, options.force ?? false);

  const copier = new ImageCopier(client, concurrency);
  const items: CopiedItem[] = [];
  if (!options.only) {
    const { digest } = plan.root;
    progress(`Copying ${formatReference(withDigest(sourceRepo, digest))} to ${repositoryName(destRepo)}...`);
    const written = await copier.copyManifest(sourceRepo, destRepo, plan.root);
    const status = written ? 'copied' : 'unchanged';
    items.push({ kind: 'image', destination: formatReference(withDigest(destRepo, digest)), digest, status });
  }
  await mapLimited(plan.artifacts, concurrency, async (artifact) => {
    items.push(await copyTag(client, copier, artifact, destRepo, progress));
  });
  await mapLimited(plan.referrers, concurrency, async ({ subject, descriptor }) => {
    const copied = await copyReferrer(client, copier, sourceRepo, destRepo, subject, descriptor, progress);
    if (copied) items.push(copied);
  });
  // Last, so that whoever pulls the tag finds its signatures in place.
  if (plan.imageTag) items.push(await copyTag(client, copier, plan.imageTag, destRepo, progress));

  return {
    source: formatReference(source),
    destination: formatReference(destination),
    digest: plan.root.digest,
    // Copies run concurrently; the summary lists them in a stable order.
    items: items.sort((a, b) => a.destination.localeCompare(b.destination)),
    stats: copier.stats,
  };
}

async function planCopy(
  client: RegistryClient,
  source: ImageReference,
  destination: ImageReference,
  options: CopyOptions,
  concurrency: number,
): Promise<CopyPlan> {
  const sourceRepo = repositoryOf(source);
  const signatures = signatureRepository(source, options.env);
  const root = await rootManifest(client, source, options.platform);
  const tag = options.only ? undefined : imageTag(destination, root.digest);
  const entities = await signedEntities(client, sourceRepo, root);
  const found = await mapLimited(entities, concurrency, (digest) =>
    mapLimited(options.only ?? COPY_ONLY_VALUES, concurrency, (kind) =>
      findArtifact(client, signatures, digest, kind),
    ),
  );
  const listed = await mapLimited(entities, concurrency, async (subject) =>
    (await client.referrers(sourceRepo, subject))
      .filter((descriptor) => wanted(descriptor, options.only))
      .map((descriptor) => ({ subject, descriptor })),
  );
  return {
    root,
    ...(tag === undefined
      ? {}
      : { imageTag: { kind: 'image', from: sourceRepo, digest: root.digest, tag, unchanged: false } }),
    artifacts: found.flat().filter((artifact): artifact is PlannedTag => artifact !== undefined),
    referrers: listed.flat(),
  };
}

function repositoryOf(ref: ImageReference): Repository {
  return { registry: ref.registry, repository: ref.repository };
}

/** The source image (or with `platform`, its platform's image); a missing source is one clear error. */
async function rootManifest(
  client: RegistryClient,
  source: ImageReference,
  platform: Platform | undefined,
): Promise<FetchedManifest> {
  const name = formatReference(source);
  const fetched = await client.getManifest(source, manifestReference(source)).catch((err) => {
    if (isSigilError(err, 'REGISTRY_NOT_FOUND')) {
      throw new SigilError('REGISTRY_NOT_FOUND', `source image ${name} not found`, undefined, { cause: err });
    }
    throw err;
  });
  if (platform === undefined) return fetched;
  if (!isIndex(fetched.manifest)) {
    throw new SigilError('BAD_INPUT', `--platform: ${name} is not a multi-platform image (an index)`);
  }
  const chosen = selectPlatform(fetched.manifest, platform, name);
  return client.getManifest(source, chosen.digest);
}

/** The tag the image gets at the destination: its own, or `latest`; a destination digest must match. */
function imageTag(destination: ImageReference, digest: Digest): string | undefined {
  if (destination.digest !== undefined && destination.digest !== digest) {
    throw new SigilError(
      'BAD_REFERENCE',
      `destination ${formatReference(destination)} names digest ${destination.digest}, but the source is ${digest}`,
      'give the destination a tag, or no tag or digest at all',
    );
  }
  if (destination.tag !== undefined) return destination.tag;
  return destination.digest === undefined ? 'latest' : undefined;
}

async function findArtifact(
  client: RegistryClient,
  signatures: Repository,
  digest: Digest,
  kind: ArtifactSuffix,
): Promise<PlannedTag | undefined> {
  const tag = artifactTag(digest, kind);
  const found = await client.headManifest(signatures, tag);
  return found && { kind, from: signatures, digest: found.digest, tag, unchanged: false };
}

/**
 * Which referrers go along: all of them for a full copy; with `--only`, Sigstore bundles by what they
 * hold (cosign's image-signature predicate is a signature, any other an attestation), Notation
 * signatures as signatures (cosign does not know them; sigil copies an image's signatures of both kinds)
 * and SBOM documents.
 */
function wanted(referrer: Descriptor, only: readonly ArtifactSuffix[] | undefined): boolean {
  if (only === undefined) return true;
  const kind = referrerKind(referrer);
  return kind !== undefined && only.includes(kind);
}

function referrerKind(referrer: Descriptor): ArtifactSuffix | undefined {
  if (referrer.artifactType === BUNDLE_V03_MEDIA_TYPE) {
    const predicateType = referrer.annotations?.[BUNDLE_PREDICATE_TYPE_ANNOTATION];
    return predicateType === COSIGN_SIGN_PREDICATE_TYPE ? 'sig' : 'att';
  }
  if (referrer.artifactType === NOTATION_ARTIFACT_TYPE) return 'sig';
  return /spdx|cyclonedx|syft/.test(referrer.artifactType ?? '') ? 'sbom' : undefined;
}

/**
 * Marks tags whose destination already names the same content as unchanged; any that names other
 * content is refused (unless `force`) before anything is written.
 */
async function checkDestinationTags(
  client: RegistryClient,
  destination: Repository,
  tags: PlannedTag[],
  force: boolean,
): Promise<void> {
  const conflicts: string[] = [];
  await mapLimited(tags, 4, async (planned) => {
    const existing = await client.headManifest(destination, planned.tag);
    if (existing === undefined) return;
    if (existing.digest === planned.digest) planned.unchanged = true;
    else if (!force) conflicts.push(formatReference({ ...destination, tag: planned.tag }));
  });
  if (conflicts.length > 0) {
    const more = conflicts.length > 1 ? ` (and ${conflicts.length - 1} more)` : '';
    throw new SigilError(
      'FILE_EXISTS',
      `image "${conflicts.sort()[0]}"${more} already exists with other content; nothing was copied`,
      'use -f to overwrite',
    );
  }
}

async function copyTag(
  client: RegistryClient,
  copier: ImageCopier,
  planned: PlannedTag,
  destination: Repository,
  progress: (message: string) => void,
): Promise<CopiedItem> {
  const target = formatReference({ ...destination, tag: planned.tag });
  const item = { kind: planned.kind, destination: target, digest: planned.digest };
  if (planned.unchanged) return { ...item, status: 'unchanged' };
  const source = await client.getManifest(planned.from, planned.digest);
  progress(`Copying ${formatReference({ ...planned.from, tag: planned.tag })} to ${target}...`);
  await copier.copyManifest(planned.from, destination, source, planned.tag);
  return { ...item, status: 'copied' };
}

/**
 * Copies a referrer and records it at the destination (referrers API, or the tag-schema index there).
 * A listed manifest whose subject is not the image is skipped: a `sha256-<hex>` tag that is not a
 * referrers index (cosign's own copy writes the image there) must not pass for one.
 */
async function copyReferrer(
  client: RegistryClient,
  copier: ImageCopier,
  from: Repository,
  to: Repository,
  subject: Digest,
  descriptor: Descriptor,
  progress: (message: string) => void,
): Promise<CopiedItem | undefined> {
  const source = await client.getManifest(from, descriptor.digest);
  if (source.manifest.subject?.digest !== subject) return undefined;
  const target = formatReference(withDigest(to, source.digest));
  const item = { kind: 'referrer' as const, destination: target, digest: source.digest };
  if (
    (await client.headManifest(to, source.digest)) &&
    (await client.referrers(to, subject)).some((d) => d.digest === source.digest)
  ) {
    return { ...item, status: 'unchanged' };
  }
  progress(`Copying referrer ${formatReference(withDigest(from, source.digest))} to ${target}...`);
  await copier.copyReferenced(from, to, source.manifest);
  await pushReferrer(client, to, source.bytes, source.mediaType);
  return { ...item, status: 'copied' };
}
