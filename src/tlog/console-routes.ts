/**
 * Read-only routes the web console asks the log (beside the Rekor API, under the same TLS and auth):
 * search by any index key with paging, and the log's health (size, latest checkpoints, entries per minute,
 * the key the browser checks checkpoints with).
 */
import type { FastifyInstance } from 'fastify';
import { SigilError } from '../core/index.js';
import { publicKeyPem } from '../crypto/index.js';
import type { TransparencyLog } from './log.js';
import { SEARCH_FIELDS, type SearchField, searchLog } from './log-search.js';

/** How far back the health page counts entries per minute. */
const HEALTH_WINDOW_MINUTES = 60;
const RECENT_CHECKPOINTS = 8;

export function registerConsoleLogRoutes(app: FastifyInstance, log: TransparencyLog): void {
  app.get('/api/v1/console/log/search', async (request) => {
    const query = request.query as Record<string, string | undefined>;
    const field = query.field as SearchField;
    if (!SEARCH_FIELDS.includes(field))
      throw new SigilError('BAD_INPUT', `field must be one of ${SEARCH_FIELDS.join(', ')}`);
    return searchLog(log, {
      field,
      value: query.value ?? '',
      ...(query.before !== undefined ? { before: cursor(query.before, 'before') } : {}),
      ...(query.limit !== undefined ? { limit: cursor(query.limit, 'limit') } : {}),
    });
  });

  app.get('/api/v1/console/log/health', async () => {
    const latest = await log.checkpoint();
    const since = Math.floor(Date.now() / 60_000 - HEALTH_WINDOW_MINUTES) * 60;
    const [perMinute, recent] = await Promise.all([
      log.storage.entriesPerMinute(since),
      log.storage.recentCheckpoints(RECENT_CHECKPOINTS),
    ]);
    return {
      treeId: log.treeId.toString(),
      logId: log.logId,
      publicKey: publicKeyPem(log.key.publicKey),
      treeSize: latest.size,
      rootHash: latest.rootHash.toString('hex'),
      signedTreeHead: latest.note,
      windowMinutes: HEALTH_WINDOW_MINUTES,
      entriesPerMinute: perMinute,
      checkpoints: recent.map((c) => ({ size: c.size, rootHash: c.rootHash.toString('hex'), note: c.note })),
      integrating: log.integrating,
    };
  });
}

function cursor(value: string, name: string): number {
  if (!/^(0|[1-9][0-9]*)$/.test(value) || !Number.isSafeInteger(Number(value)))
    throw new SigilError('BAD_INPUT', `${name} must be a non-negative integer, not "${value}"`);
  return Number(value);
}
