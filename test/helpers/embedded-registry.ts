/** The embedded registry on a free loopback port, storing in a fresh work directory (one per test suite), and images in it. */
import { join } from 'node:path';
import {
  parseReference,
  pushTestImage,
  type RegistryClient,
  type RunningRegistry,
  startRegistry,
} from '../../src/oci/index.js';
import { workDir } from './cli.js';

export async function startTestRegistry(): Promise<RunningRegistry> {
  return startRegistry({ host: '127.0.0.1', port: 0, dataDir: join(await workDir(), 'registry') });
}

/** Pushes a one-file test image `<registry>/team/<name>:v1` (the file holds the name) and returns its reference. */
export async function pushTeamImage(
  client: RegistryClient,
  registry: RunningRegistry,
  name: string,
): Promise<string> {
  const image = `${registry.address}/team/${name}:v1`;
  await pushTestImage(client, parseReference(image), { files: { 'f.txt': name } });
  return image;
}
