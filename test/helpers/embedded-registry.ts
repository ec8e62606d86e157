/** The embedded registry on a free loopback port, storing in a fresh work directory: one per test suite. */
import { join } from 'node:path';
import { type RunningRegistry, startRegistry } from '../../src/oci/index.js';
import { workDir } from './cli.js';

export async function startTestRegistry(): Promise<RunningRegistry> {
  return startRegistry({ host: '127.0.0.1', port: 0, dataDir: join(await workDir(), 'registry') });
}
