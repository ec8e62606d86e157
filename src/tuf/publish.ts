/**
 * A deployment's trust as TUF targets: the repository is created on first use (every key in its keys/
 * folder), the current trusted_root.json and signing config are published (a new version only when their
 * bytes changed: a rotated log, CA or TSA key), and the repository is served and kept fresh.
 */
import { join } from 'node:path';
import { SIGNING_CONFIG_TARGET, TRUSTED_ROOT_TARGET } from './client.js';
import { type RefreshReport, TufRepository } from './repository.js';
import { type RunningTufServer, startTufServer } from './server.js';

export interface PublishedTrust extends RunningTufServer {
  /** The newest root.json: what clients are given, out of band, to `initialize` with. */
  rootPath: string;
}

export async function serveTrust(options: {
  dir: string;
  host: string;
  port: number;
  trustedRoot: Uint8Array;
  signingConfig: Uint8Array;
  onRefresh?: (report: RefreshReport | Error) => void;
}): Promise<PublishedTrust> {
  const repository = TufRepository.isRepository(options.dir)
    ? TufRepository.open(options.dir)
    : await TufRepository.init(options.dir);
  await repository.publishTargets([
    { name: TRUSTED_ROOT_TARGET, bytes: options.trustedRoot },
    { name: SIGNING_CONFIG_TARGET, bytes: options.signingConfig },
  ]);
  const server = await startTufServer({
    dir: options.dir,
    host: options.host,
    port: options.port,
    ...(options.onRefresh ? { onRefresh: options.onRefresh } : {}),
  });
  return { ...server, rootPath: join(repository.publishedDir, 'root.json') };
}
