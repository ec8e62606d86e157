/**
 * Kyverno's image verification cache (`useCache`, on by default): a passing verification of an image under
 * one verifyImages entry is reused until its TTL ends, and a verification already under way is joined
 * instead of repeated, so a Deployment scaled to 50 replicas costs one registry round trip per image, not 50.
 *
 * Two differences from Kyverno, both towards failing closed. The key is the digest the image resolves to
 * now, not the image as written, so a tag moved to another image is verified again. And the scope is the
 * verifyImages object itself: a policy reload builds new objects, so no pass outlives the policy that
 * granted it. Only passes are kept; a failure is retried by the next request.
 */
import { type CacheLookup, SharedResults } from './shared-results.js';

export type { CacheLookup } from './shared-results.js';

export interface ImageVerifyCacheOptions {
  /** Kyverno's imageVerifyCacheTTLDuration (60 minutes there). */
  ttlSeconds: number;
  /** Kyverno's imageVerifyCacheMaxSize (1000 there); the least recently used pass goes first. */
  maxEntries: number;
  now?: () => number;
}

export class ImageVerifyCache {
  private readonly passes: SharedResults;

  constructor(options: ImageVerifyCacheOptions, onLookup?: (result: CacheLookup) => void) {
    this.passes = new SharedResults(
      {
        ttlMs: options.ttlSeconds * 1000,
        maxEntries: options.maxEntries,
        ...(options.now ? { now: options.now } : {}),
      },
      onLookup,
    );
  }

  /**
   * `verify`'s answer for `image` (a digest reference) under `scope`: a cached pass, the answer of a
   * verification of the same already under way, or a new verification, kept when `passed` says so.
   */
  run<T>(scope: object, image: string, verify: () => Promise<T>, passed: (value: T) => boolean): Promise<T> {
    return this.passes.run(scope, image, verify, passed);
  }

  get size(): number {
    return this.passes.size;
  }
}
