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

export interface ImageVerifyCacheOptions {
  /** Kyverno's imageVerifyCacheTTLDuration (60 minutes there). */
  ttlSeconds: number;
  /** Kyverno's imageVerifyCacheMaxSize (1000 there); the least recently used pass goes first. */
  maxEntries: number;
  now?: () => number;
}

export type CacheLookup = 'hit' | 'joined' | 'miss';

export class ImageVerifyCache {
  private readonly scopeIds = new WeakMap<object, number>();
  private nextScopeId = 0;
  /** Passes by key, in recency order (a Map keeps insertion order; a hit re-inserts). */
  private readonly passes = new Map<string, { value: unknown; expiresAt: number }>();
  private readonly inFlight = new Map<string, Promise<unknown>>();
  private readonly now: () => number;

  constructor(
    private readonly options: ImageVerifyCacheOptions,
    /** Told of every lookup, for metrics. */
    private readonly onLookup?: (result: CacheLookup) => void,
  ) {
    this.now = options.now ?? Date.now;
  }

  /**
   * `verify`'s answer for `image` (a digest reference) under `scope`: a cached pass, the answer of a
   * verification of the same already under way, or a new verification, kept when `passed` says so.
   */
  async run<T>(
    scope: object,
    image: string,
    verify: () => Promise<T>,
    passed: (value: T) => boolean,
  ): Promise<T> {
    const key = `${this.scopeId(scope)} ${image}`;
    const cached = this.passes.get(key);
    if (cached) {
      this.passes.delete(key);
      if (cached.expiresAt > this.now()) {
        this.passes.set(key, cached);
        this.onLookup?.('hit');
        return cached.value as T;
      }
    }
    const running = this.inFlight.get(key);
    if (running) {
      this.onLookup?.('joined');
      return running as Promise<T>;
    }
    this.onLookup?.('miss');
    const verification = verify().then((value) => {
      if (passed(value)) this.remember(key, value);
      return value;
    });
    this.inFlight.set(key, verification);
    try {
      return await verification;
    } finally {
      this.inFlight.delete(key);
    }
  }

  get size(): number {
    return this.passes.size;
  }

  private remember(key: string, value: unknown): void {
    this.passes.set(key, { value, expiresAt: this.now() + this.options.ttlSeconds * 1000 });
    while (this.passes.size > this.options.maxEntries) {
      const oldest = this.passes.keys().next();
      if (oldest.done) break;
      this.passes.delete(oldest.value);
    }
  }

  private scopeId(scope: object): number {
    let id = this.scopeIds.get(scope);
    if (id === undefined) {
      id = this.nextScopeId++;
      this.scopeIds.set(scope, id);
    }
    return id;
  }
}
