/**
 * cosign's spellings of flags sigil also spells its own way: `attest --no-upload` (--upload=false) and
 * `import-key-pair --yes` (--force), run as a user would against the embedded registry.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  parseReference,
  pushTestImage,
  RegistryClient,
  type RunningRegistry,
  startRegistry,
} from '../../src/oci/index.js';
import { errorLine, sigil, workDir } from '../helpers/cli.js';
import { COSIGN_KEY, FIXTURES } from '../helpers/fixtures.js';

describe("cosign's spellings of sigil flags", () => {
  let registry: RunningRegistry;
  let dir: string;
  before(async () => {
    dir = await workDir();
    registry = await startRegistry({ host: '127.0.0.1', port: 0, dataDir: join(dir, 'registry') });
  });
  after(() => registry?.close());

  it('attest --no-upload signs but pushes no attestation', async () => {
    const client = new RegistryClient({});
    const digest = await pushTestImage(client, parseReference(`${registry.address}/app:v1`), {
      files: { 'f.txt': 'no upload' },
    });
    await writeFile(join(dir, 'predicate.json'), '{"scanned":true}');
    const image = `${registry.address}/app@${digest}`;
    const attest = (...flags: string[]) =>
      sigil(
        [
          'attest',
          '--key',
          join(FIXTURES, COSIGN_KEY),
          '--tlog-upload=false',
          '--predicate',
          'predicate.json',
        ].concat(['--output', 'json', ...flags, image]),
        { cwd: dir, env: { COSIGN_PASSWORD: '' } },
      );
    const kept = await attest('--no-upload');
    assert.equal(kept.code, 0, kept.stderr);
    assert.deepEqual(JSON.parse(kept.stdout)[0].attestationReference, null);
    const attTag = `sha256-${digest.slice('sha256:'.length)}.att`;
    assert.equal(await client.headManifest(parseReference(`${registry.address}/app`), attTag), undefined);
    const pushed = await attest();
    assert.equal(JSON.parse(pushed.stdout)[0].attestationReference, `${registry.address}/app:${attTag}`);
  });

  it('import-key-pair --yes overwrites existing key files, as --force does; without either it refuses', async () => {
    const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    });
    await writeFile(join(dir, 'ec.pem'), pem);
    const run = (...flags: string[]) =>
      sigil(['import-key-pair', '--key', 'ec.pem', ...flags], { cwd: dir, env: { COSIGN_PASSWORD: 'pw' } });
    assert.equal((await run()).code, 0);
    const first = await readFile(join(dir, 'import-cosign.key'), 'utf8');
    const refused = await run();
    assert.notEqual(refused.code, 0);
    assert.match(errorLine(refused), /import-cosign\.key already exists/);
    const overwritten = await run('--yes');
    assert.equal(overwritten.code, 0, overwritten.stderr);
    // A fresh salt and nonce: the file was written again.
    assert.notEqual(await readFile(join(dir, 'import-cosign.key'), 'utf8'), first);
  });
});
