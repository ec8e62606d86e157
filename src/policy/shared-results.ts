/**
 * Answers of slow lookups (a registry round trip, a signature verification) shared between admission
 * reviews. An answer that `keep` accepts is reused until `ttlMs` after its lookup STARTED, so the bound
 * holds from the moment the registry was asked, however long it took to answer; a lookup of a key already
 * under way is joined instead of repeated, while it started within that bound too; at most `maxEntries` answers are kept, the least recently used
 * going first. Keys live under a scope compared by identity (a verifyImages entry, a registry client), so a
 * reloaded policy or another set of registry credentials never sees another's answers. Errors are never
 * kept: the next lookup asks again.
 */

export interface SharedResultsOptions {
  ttlMs: number;
  maxEntries: number;
  now?: () => number;
}

export type CacheLookup = 'hit' | 'joined' | 'miss';

export class SharedResults {
  private readonly scopeIds = new WeakMap<object, number>();
  private nextScopeId = 0;
  /** Answers by key, in recency order (a Map keeps insertion order; a hit re-inserts). */
  private readonly answers = new Map<string, { value: unknown; expiresAt: number }>();
  private readonly inFlight = new Map<string, { answer: Promise<unknown>; startedAt: number }>();
  private readonly now: () => number;

  constructor(
    private readonly options: SharedResultsOptions,
    /** Told of every lookup, for metrics. */
    private readonly onLookup?: (result: CacheLookup) => void,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** `lookup`'s answer for `key` under `scope`: a kept answer, one under way, or a new one. */
  async run<T>(
    scope: object,
    key: string,
    lookup: () => Promise<T>,
    keep: (value: T) => boolean,
  ): Promise<T> {
    const scoped = `${this.scopeId(scope)} ${key}`;
    const kept = this.answers.get(scoped);
    if (kept) {
      this.answers.delete(scoped);
      if (kept.expiresAt > this.now()) {
        this.answers.set(scoped, kept);
        this.onLookup?.('hit');
        return kept.value as T;
      }
    }
    const startedAt = this.now();
    const running = this.inFlight.get(scoped);
    if (running && running.startedAt + this.options.ttlMs > startedAt) {
      this.onLookup?.('joined');
      return running.answer as Promise<T>;
    }
    this.onLookup?.('miss');
    const answer = lookup().then((value) => {
      if (keep(value)) this.remember(scoped, value, startedAt + this.options.ttlMs);
      return value;
    });
    const entry = { answer, startedAt };
    this.inFlight.set(scoped, entry);
    try {
      return await answer;
    } finally {
      // A slower, older lookup must not remove the newer one that replaced it.
      if (this.inFlight.get(scoped) === entry) this.inFlight.delete(scoped);
    }
  }

  get size(): number {
    return this.answers.size;
  }

  private remember(key: string, value: unknown, expiresAt: number): void {
    // An older lookup answering after a newer one keeps the newer answer.
    const kept = this.answers.get(key);
    if (kept && kept.expiresAt >= expiresAt) return;
    this.answers.delete(key);
    this.answers.set(key, { value, expiresAt });
    while (this.answers.size > this.options.maxEntries) {
      const oldest = this.answers.keys().next();
      if (oldest.done) break;
      this.answers.delete(oldest.value);
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
