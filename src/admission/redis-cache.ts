/**
 * Decision cache shared by webhook replicas through Redis. Redis trouble must never block admission:
 * a failed get is a miss and a failed set is dropped (the decision is simply recomputed next time).
 */
import { Redis } from 'ioredis';
import type { DecisionCache } from './cache.js';
import type { AdmissionDecision } from './review.js';

const KEY_PREFIX = 'sigil:admission:';

export class RedisDecisionCache implements DecisionCache {
  private constructor(private readonly client: Redis) {}

  /**
   * Connects and waits until Redis is ready (or `timeoutMs` passes: the cache then starts cold and
   * reconnects in the background). Without an offline queue a request never waits on a dead Redis.
   */
  static async connect(url: string, timeoutMs = 2000): Promise<RedisDecisionCache> {
    const client = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    client.on('error', () => {
      // Connection errors surface as failed commands, which are treated as misses; nothing else to do.
    });
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      client.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    return new RedisDecisionCache(client);
  }

  async get(key: string): Promise<AdmissionDecision | undefined> {
    try {
      const text = await this.client.get(KEY_PREFIX + key);
      return text === null ? undefined : (JSON.parse(text) as AdmissionDecision);
    } catch {
      return undefined;
    }
  }

  async set(key: string, value: AdmissionDecision, ttlSeconds: number): Promise<void> {
    try {
      await this.client.set(
        KEY_PREFIX + key,
        JSON.stringify(value),
        'EX',
        Math.max(1, Math.ceil(ttlSeconds)),
      );
    } catch {
      // dropped on purpose, see the class comment
    }
  }

  async close(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }
}
