/** Real-world fixtures live outside the project (../shared/fixtures, sources in its SOURCES.md). */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'shared', 'fixtures');

export function fixture(path: string): Buffer {
  return readFileSync(join(FIXTURES, path));
}

/** The cosign-made key pair with an empty password (conforma/cli test data). */
export const COSIGN_KEY = 'cosign-keys/empty-password.key';
export const COSIGN_PUB = 'cosign-keys/empty-password.pub';
