/**
 * Decision cache: a decision for the same request key under the same policy generation is reused until
 * its TTL ends. The key always includes the generation, so a policy reload can never serve stale answers.
 */
import type { AdmissionDecision } from './review.js';

export interface DecisionCache {
  get(key: string): Promise<AdmissionDecision | undefined>;
  set(key: string, value: AdmissionDecision, ttlSeconds: number): Promise<void>;
}

interface Entry {
  value: AdmissionDecision;
  expiresAt: number;
}

/** In-memory LRU with a size cap: a Map keeps insertion order, so re-inserting on read marks recency. */
export class MemoryDecisionCache implements DecisionCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  async get(key: string): Promise<AdmissionDecision | undefined> {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (entry.expiresAt <= this.now()) return undefined;
    this.entries.set(key, entry);
    return entry.value;
  }

  async set(key: string, value: AdmissionDecision, ttlSeconds: number): Promise<void> {
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: this.now() + ttlSeconds * 1000 });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
