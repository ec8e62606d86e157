/** Starting the log service from a data directory: key (created on first start), SQLite store, HTTP. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { listenUrl } from '../core/index.js';
import { TransparencyLog } from './log.js';
import { createLogKey, kmsLogKey, loadLogKey } from './log-key.js';
import { PostgresLogStorage } from './postgres-storage.js';
import { buildTlogApp } from './server.js';
import { SqliteLogStorage } from './sqlite-storage.js';

export interface TlogServeOptions {
  host: string;
  port: number;
  dataDir: string;
  /** A postgres:// URL: the log lives in PostgreSQL instead of SQLite (the key stays in the data directory). */
  database?: string;
  /** Checkpoint signer name; defaults to the listen host, which clients match against the log URL. */
  hostname?: string;
  batchSize?: number;
  intervalMs?: number;
  maxBodyBytes?: number;
  /** Worker threads checking submissions (default 0: on the serving thread). */
  verifyWorkers?: number;
  /**
   * A KMS key URI (awskms://, gcpkms://, azurekms://, hashivault://) that signs checkpoints and SETs
   * instead of the key file in the data directory, as Rekor's `--rekor_server.signer`.
   */
  signer?: string;
}

export interface RunningTlog {
  url: string;
  log: TransparencyLog;
  close(): Promise<void>;
}

export function logKeyPath(dataDir: string): string {
  return join(dataDir, 'log-key.pem');
}

export async function startTlog(options: TlogServeOptions): Promise<RunningTlog> {
  const keyPath = logKeyPath(options.dataDir);
  const key = options.signer
    ? await kmsLogKey(options.signer)
    : existsSync(keyPath)
      ? await loadLogKey(keyPath)
      : await createLogKey(keyPath);
  const storage = options.database
    ? await PostgresLogStorage.connect(options.database)
    : new SqliteLogStorage(join(options.dataDir, 'log.db'));
  const log = await TransparencyLog.open(storage, key, {
    hostname: options.hostname ?? options.host,
    ...(options.verifyWorkers ? { verifyWorkers: options.verifyWorkers } : {}),
    ...(options.batchSize ? { batchSize: options.batchSize } : {}),
    ...(options.intervalMs ? { intervalMs: options.intervalMs } : {}),
  });
  const app = buildTlogApp(log, options.maxBodyBytes ? { maxBodyBytes: options.maxBodyBytes } : {});
  return {
    url: await listenUrl(app, options.host, options.port),
    log,
    close: async () => {
      await app.close();
      await log.close();
    },
  };
}
