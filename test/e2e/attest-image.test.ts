import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRegistry } from '../../src/oci/index.js';
import { attestationSuite } from '../helpers/attestation-suite.js';

attestationSuite('embedded registry', async () =>
  startRegistry({
    host: '127.0.0.1',
    port: 0,
    dataDir: join(await mkdtemp(join(tmpdir(), 'sigil-reg-')), 'data'),
  }),
);
