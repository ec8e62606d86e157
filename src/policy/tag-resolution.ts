/**
 * Tags to digests for admission. Within one review each distinct image is resolved once, whichever
 * containers (init, ephemeral), rules and policies name it. Across reviews, a TagResolutionCache reuses a
 * tag's digest for a bounded freshness: a tag moved in the registry is seen by the reviews that start
 * after the bound has passed since the lookup that saw the old digest was sent.
 *
 * Reusing a resolution never lets an unverified image through: what is resolved is only WHICH digest the
 * review verifies and pins, the digest is verified (or its verdict found in the image verification cache,
 * keyed by digest and policy) as on any other review, and the key is the whole reference (registry,
 * repository, tag) under the registry client that asked, so another repository or another set of
 * credentials never borrows the answer.
 */
import type { Digest } from '../core/index.js';
import { formatReference, type ImageReference, type RegistryClient } from '../oci/index.js';
import { type CacheLookup, SharedResults } from './shared-results.js';

/** The digest a reference names now, through `client`. */
export type TagResolver = (client: RegistryClient, image: ImageReference) => Promise<Digest>;

export interface TagResolutionCacheOptions {
  /** How long a resolution is reused, from when its lookup was sent. */
  ttlSeconds: number;
  /** Tags kept (the least recently used go first). */
  maxEntries?: number;
  now?: () => number;
}

/**
 * Kyverno asks the registry on every admission (mutateDigest's manifest GET, per rule and image); a few
 * seconds keep that promise in practice, a tag push being seen within them, while a registry answers one
 * request per tag every few seconds instead of one per container per review.
 */
export const DEFAULT_TAG_RESOLUTION_TTL_SECONDS = 5;

/** More distinct tags than a cluster runs at once; an entry (a reference and a digest) is a few hundred bytes. */
const DEFAULT_MAX_ENTRIES = 10_000;

export class TagResolutionCache {
  private readonly digests: SharedResults;

  constructor(options: TagResolutionCacheOptions, onLookup?: (result: CacheLookup) => void) {
    this.digests = new SharedResults(
      {
        ttlMs: options.ttlSeconds * 1000,
        maxEntries: options.maxEntries ?? DEFAULT_MAX_ENTRIES,
        ...(options.now ? { now: options.now } : {}),
      },
      onLookup,
    );
  }

  readonly resolve: TagResolver = (client, image) =>
    image.digest
      ? Promise.resolve(image.digest)
      : this.digests.run(
          client,
          formatReference(image),
          () => client.resolveDigest(image),
          () => true,
        );

  get size(): number {
    return this.digests.size;
  }
}

/**
 * The resolver of one review: each distinct (client, reference) is asked once, through `shared` when there
 * is one, else straight from the registry (every review then resolves its tags itself).
 */
export function reviewTagResolver(shared?: TagResolutionCache): TagResolver {
  const resolve: TagResolver = shared?.resolve ?? ((client, image) => client.resolveDigest(image));
  const seen = new Map<RegistryClient, Map<string, Promise<Digest>>>();
  return (client, image) => {
    if (image.digest) return Promise.resolve(image.digest);
    let byReference = seen.get(client);
    if (!byReference) {
      byReference = new Map();
      seen.set(client, byReference);
    }
    const key = formatReference(image);
    let digest = byReference.get(key);
    if (!digest) {
      digest = resolve(client, image);
      byReference.set(key, digest);
    }
    return digest;
  };
}
