/**
 * `sigil tuf` as an operator runs it, and `sigil initialize` as a client does: an offline root key given to
 * init and never copied, targets published and re-published only when their bytes change, the repository
 * served (over HTTP, and as a file: copy for an air-gapped client), a rotation of the online keys followed,
 * and the initial root checked against --root-checksum (SHA-256 or sha512:) and refused as an unchecked URL.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { startSigilServer } from '../helpers/admission-serve.js';
import { sigil, workDir } from '../helpers/cli.js';
import { freePort } from '../helpers/ports.js';

describe('sigil tuf and sigil initialize', () => {
  let dir: string;
  let mirror: string;
  let server: ChildProcess;
  const repo = () => join(dir, 'repo');
  const root = () => join(repo(), 'repository', 'root.json');
  const run = async (...args: string[]) => {
    const result = await sigil(args, { cwd: dir, env: { SIGIL_TUF_ROOT: join(dir, 'cache') } });
    assert.equal(result.code, 0, `sigil ${args.slice(0, 2).join(' ')}: ${result.stderr}`);
    return result;
  };
  const cachedTarget = (name: string) => readFileSync(join(dir, 'cache', 'targets', name), 'utf8');

  before(async () => {
    dir = await workDir();
    writeFileSync(join(dir, 'trusted_root.json'), '{"version":1}\n');
    writeFileSync(join(dir, 'signing_config.json'), '{"config":1}\n');
    await run('tuf', 'generate-key', '--key-type', 'ecdsa-p256', 'root.pem');
    await run('tuf', 'init', '--repo-dir', 'repo', '--root-key', 'root.pem', '--target', 'trusted_root.json');
    await run(
      'tuf',
      'add-target',
      '--repo-dir',
      'repo',
      '--name',
      'signing_config.v0.2.json',
      'signing_config.json',
    );
    const port = await freePort();
    server = await startSigilServer(
      ['tuf', 'serve', '--repo-dir', 'repo', '--addr', `127.0.0.1:${port}`],
      dir,
      'served at',
    );
    mirror = `http://127.0.0.1:${port}`;
  });
  after(() => server.kill());

  it('keeps an offline root key out of the repository', () => {
    assert.deepEqual(readdirSync(join(repo(), 'keys')).sort(), [
      'snapshot.pem',
      'targets.pem',
      'timestamp.pem',
    ]);
  });

  it('initializes from the served repository, and follows a new target version', async () => {
    const initialized = await run('initialize', '--mirror', mirror, '--root', root());
    assert.match(initialized.stderr, /trusted_root\.json and signing_config\.v0\.2\.json/);
    assert.equal(cachedTarget('trusted_root.json'), '{"version":1}\n');
    const unchanged = await run('tuf', 'add-target', '--repo-dir', 'repo', 'trusted_root.json');
    assert.match(unchanged.stderr, /unchanged: nothing signed/);
    writeFileSync(join(dir, 'trusted_root.json'), '{"version":2}\n');
    await run('tuf', 'add-target', '--repo-dir', 'repo', 'trusted_root.json');
    await run('initialize', '--mirror', mirror, '--root', root());
    assert.equal(cachedTarget('trusted_root.json'), '{"version":2}\n');
  });

  it('rotates the online keys with the offline root key; a fresh client follows from root version 1', async () => {
    const rotated = await run(
      'tuf',
      'rotate-keys',
      '--repo-dir',
      'repo',
      '--root-key',
      'root.pem',
      '--roles',
      'timestamp,snapshot,targets',
    );
    assert.match(rotated.stderr, /root version 2/);
    await run('initialize', '--mirror', mirror, '--root', join(repo(), 'repository', '1.root.json'));
    assert.equal(
      JSON.parse(readFileSync(join(dir, 'cache', 'metadata', 'root.json'), 'utf8')).signed.version,
      2,
    );
    const refreshed = await run('tuf', 'refresh', '--repo-dir', 'repo');
    assert.match(refreshed.stderr, /nothing due/);
  });

  it('initializes from a file: copy of the repository (air-gapped)', async () => {
    const copy = pathToFileURL(join(repo(), 'repository')).href;
    await run('initialize', '--mirror', copy, '--root', root());
    assert.equal(cachedTarget('trusted_root.json'), '{"version":2}\n');
    assert.ok(existsSync(join(dir, 'cache', 'remote.json')));
  });

  it('checks the initial root against --root-checksum, and refuses a URL without one', async () => {
    const bytes = readFileSync(root());
    const sha512 = createHash('sha512').update(bytes).digest('hex');
    await run('initialize', '--mirror', mirror, '--root', root(), '--root-checksum', `sha512:${sha512}`);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    await run('initialize', '--mirror', mirror, '--root', `${mirror}/root.json`, '--root-checksum', sha256);
    const unchecked = await sigil(['initialize', '--mirror', mirror, '--root', `${mirror}/root.json`], {
      cwd: dir,
    });
    assert.equal(unchecked.code, 1);
    assert.match(unchecked.stderr, /is a URL: pass its --root-checksum/);
    const wrong = await sigil(
      ['initialize', '--mirror', mirror, '--root', root(), '--root-checksum', `sha512:${'0'.repeat(128)}`],
      { cwd: dir },
    );
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /has SHA512 [0-9a-f]{128}, not --root-checksum/);
  });
});
