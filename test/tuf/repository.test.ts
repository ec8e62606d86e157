/**
 * sigil's TUF repository, served by its own server, read by tuf-js (the client @sigstore/tuf and sigil's
 * `initialize` use): targets reach the client with their bytes; a new target version, a new root (key
 * rotation) and re-signed metadata are followed; a tampered target, an expired timestamp and a root signed
 * by a key the old root does not name are refused; publishing unchanged bytes signs nothing.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isSigilError } from '../../src/core/index.js';
import {
  DEFAULT_TUF_PERIODS,
  generateRoleKey,
  initializeTuf,
  keyPath,
  type RunningTufServer,
  readRoleKey,
  SIGNING_CONFIG_TARGET,
  signWith,
  startTufServer,
  TRUSTED_ROOT_TARGET,
  TufRepository,
  tufCanonical,
  updateTuf,
} from '../../src/tuf/index.js';
import { workDir } from '../helpers/cli.js';

const DAY_MS = 86_400_000;
const servers: RunningTufServer[] = [];
after(() => Promise.all(servers.map((server) => server.close())));

async function created(options: Parameters<typeof TufRepository.init>[1] = {}) {
  const dir = await workDir();
  const repository = await TufRepository.init(join(dir, 'tuf'), options);
  await repository.publishTargets(
    [
      { name: TRUSTED_ROOT_TARGET, bytes: Buffer.from('{"mediaType":"root-1"}\n') },
      { name: SIGNING_CONFIG_TARGET, bytes: Buffer.from('{"mediaType":"config-1"}\n') },
    ],
    options.now,
  );
  const rootBytes = readFileSync(join(repository.publishedDir, '1.root.json'));
  return { dir, repository, rootBytes, cache: join(dir, 'cache') };
}

/** Serves a repository (re-signing what is due as it starts; no timer: the tests re-sign by hand). */
async function serve(dir: string): Promise<RunningTufServer> {
  const server = await startTufServer({ dir, host: '127.0.0.1', port: 0, refreshIntervalMs: 2 ** 30 });
  servers.push(server);
  return server;
}

async function served(options: Parameters<typeof TufRepository.init>[1] = {}) {
  const made = await created(options);
  const server = await serve(made.repository.dir);
  return { ...made, repository: TufRepository.open(made.repository.dir), server };
}

const rejects = async (promise: Promise<unknown>, pattern: RegExp) => {
  await assert.rejects(
    promise,
    (err) => isSigilError(err, 'TUF_ERROR') && pattern.test((err as Error).message),
  );
};

describe('TUF repository', () => {
  it('serves its targets to tuf-js, and refuses a tampered one', async () => {
    const { repository, server, rootBytes, cache } = await served();
    const trust = await initializeTuf(cache, `${server.url}/`, rootBytes);
    assert.equal(trust.trustedRoot.toString(), '{"mediaType":"root-1"}\n');
    assert.equal(trust.signingConfig?.toString(), '{"mediaType":"config-1"}\n');
    assert.equal(trust.mirror, server.url);
    // The consistent-snapshot layout clients fetch.
    const files = readdirSync(repository.publishedDir).sort();
    assert.deepEqual(files, [
      '1.root.json',
      '1.snapshot.json',
      '1.targets.json',
      '2.snapshot.json',
      '2.targets.json',
      'root.json',
      'targets',
      'timestamp.json',
    ]);
    const [target] = readdirSync(join(repository.publishedDir, 'targets')).filter((name) =>
      name.endsWith(TRUSTED_ROOT_TARGET),
    );
    assert.match(target as string, /^[0-9a-f]{64}\.trusted_root\.json$/);

    writeFileSync(join(repository.publishedDir, 'targets', target as string), '{"mediaType":"evil-1"}\n');
    await rejects(
      initializeTuf(join(cache, '..', 'cache2'), server.url, rootBytes),
      /target trusted_root\.json/,
    );
  });

  it('publishes a new target version that clients follow; unchanged bytes sign nothing', async () => {
    const { repository, server, rootBytes, cache } = await served();
    await initializeTuf(cache, server.url, rootBytes);
    const before = readdirSync(repository.publishedDir).length;
    assert.equal(
      await repository.publishTargets([
        { name: TRUSTED_ROOT_TARGET, bytes: Buffer.from('{"mediaType":"root-1"}\n') },
      ]),
      false,
    );
    assert.equal(readdirSync(repository.publishedDir).length, before);
    assert.equal(
      await repository.publishTargets([
        { name: TRUSTED_ROOT_TARGET, bytes: Buffer.from('{"mediaType":"root-2"}\n') },
      ]),
      true,
    );
    const trust = await updateTuf(cache);
    assert.equal(trust.trustedRoot.toString(), '{"mediaType":"root-2"}\n');
    assert.equal(trust.signingConfig?.toString(), '{"mediaType":"config-1"}\n');
  });

  it('refuses an expired timestamp until the repository re-signs it', async () => {
    const { repository, rootBytes, cache } = await created({ now: new Date(Date.now() - 8 * DAY_MS) });
    const timestamp = join(repository.publishedDir, 'timestamp.json');
    const stale = readFileSync(timestamp);
    const server = await serve(repository.dir);
    // A mirror still serving the copy signed 8 days ago (valid for 7): its refresh stopped.
    writeFileSync(timestamp, stale);
    await rejects(initializeTuf(cache, server.url, rootBytes), /expired/i);
    const report = await TufRepository.open(repository.dir).refresh();
    assert.deepEqual(report.resigned, ['timestamp']);
    await initializeTuf(cache, server.url, rootBytes);
    // Nothing left to do: a second refresh signs nothing.
    assert.deepEqual((await TufRepository.open(repository.dir).refresh()).resigned, []);
  });

  it('re-signs targets and snapshot past half their period, and root when its key is at hand', async () => {
    const { repository } = await created({ now: new Date(Date.now() - 200 * DAY_MS) });
    const report = await repository.refresh();
    assert.deepEqual(report.resigned, ['root', 'targets', 'snapshot', 'timestamp']);
    assert.equal(report.rootExpires, undefined);
  });

  it('keeps the root key offline: init takes it, refresh reports root expiry instead of signing', async () => {
    const rootKey = generateRoleKey('ecdsa-p256');
    const { repository, rootBytes, cache } = await created({
      rootKey,
      keyType: 'ecdsa-p256',
      now: new Date(Date.now() - 200 * DAY_MS),
    });
    assert.equal(existsSync(keyPath(repository.dir, 'root')), false);
    const report = await repository.refresh();
    assert.deepEqual(report.resigned, ['targets', 'snapshot', 'timestamp']);
    assert.match(report.rootExpires ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    await repository.refresh(new Date(), rootKey);
    assert.equal(repository.rootVersion, 2);
    // ECDSA keys: their PEM (with newlines) is signed in TUF's canonical form, which clients check.
    const server = await serve(repository.dir);
    const trust = await initializeTuf(cache, server.url, rootBytes);
    assert.equal(trust.trustedRoot.toString(), '{"mediaType":"root-1"}\n');
  });

  it('rotates every key in a new root version that clients follow', async () => {
    const { repository, server, rootBytes, cache } = await served();
    await initializeTuf(cache, server.url, rootBytes);
    const oldRoot = readFileSync(keyPath(repository.dir, 'root'));
    const newKeys = {
      root: generateRoleKey(),
      targets: generateRoleKey(),
      snapshot: generateRoleKey(),
      timestamp: generateRoleKey(),
    };
    const current = readRoleKey(keyPath(repository.dir, 'root'));
    await repository.rotateKeys(current, newKeys);
    assert.notDeepEqual(readFileSync(keyPath(repository.dir, 'root')), oldRoot);
    await repository.publishTargets([
      { name: TRUSTED_ROOT_TARGET, bytes: Buffer.from('{"mediaType":"root-3"}\n') },
    ]);
    const trust = await updateTuf(cache);
    assert.equal(trust.trustedRoot.toString(), '{"mediaType":"root-3"}\n');
    const cachedRoot = JSON.parse(readFileSync(join(cache, 'metadata', 'root.json'), 'utf8'));
    assert.equal(cachedRoot.signed.version, 2);
  });

  it('refuses a new root signed only by a key the trusted root does not name', async () => {
    const { repository, server, rootBytes, cache } = await served();
    await initializeTuf(cache, server.url, rootBytes);
    // An attacker with the mirror but not the root key publishes 2.root.json under a key of their own.
    const intruder = generateRoleKey();
    const forged = TufRepository.open(repository.dir);
    await assert.rejects(forged.rotateKeys(intruder, { root: intruder }), (err) =>
      isSigilError(err, 'BAD_KEY'),
    );
    const root = JSON.parse(readFileSync(join(repository.publishedDir, '1.root.json'), 'utf8'));
    root.signed.version = 2;
    root.signed.keys[intruder.id] = intruder.public;
    root.signed.roles.root.keyids = [intruder.id];
    root.signatures = [signWith(intruder, tufCanonical(root.signed))];
    writeFileSync(join(repository.publishedDir, '2.root.json'), JSON.stringify(root));
    await rejects(updateTuf(cache), /root was signed by 0\/1 keys/);
  });

  it('refuses to sign with an online key root does not name', async () => {
    const { repository } = await served();
    writeFileSync(
      keyPath(repository.dir, 'timestamp'),
      generateRoleKey().privateKey.export({ type: 'pkcs8', format: 'pem' }),
    );
    await assert.rejects(
      TufRepository.open(repository.dir).refresh(new Date(Date.now() + DEFAULT_TUF_PERIODS.timestamp)),
      /not a timestamp key of root version 1/,
    );
  });

  it("serialises writers: two processes' changes both land, in one consistent chain of versions", async () => {
    const { repository, server, rootBytes, cache } = await served();
    // Two handles opened before either writes, as `sigil tuf serve` and `sigil tuf add-target` would be.
    const other = TufRepository.open(repository.dir);
    await Promise.all([
      repository.publishTargets([{ name: 'one.json', bytes: Buffer.from('1') }]),
      other.publishTargets([{ name: 'two.json', bytes: Buffer.from('2') }]),
    ]);
    const latest = TufRepository.open(repository.dir);
    assert.deepEqual(latest.targetNames.sort(), [
      'one.json',
      'signing_config.v0.2.json',
      'trusted_root.json',
      'two.json',
    ]);
    await initializeTuf(cache, server.url, rootBytes);
    assert.equal(existsSync(join(repository.dir, 'lock')), false);
  });

  it('initialize empties only its own entries of the cache folder ($SIGIL_TUF_ROOT may hold other files)', async () => {
    const { server, rootBytes, cache } = await served();
    mkdirSync(cache, { recursive: true });
    writeFileSync(join(cache, 'notes.txt'), 'mine');
    await initializeTuf(cache, server.url, rootBytes);
    await initializeTuf(cache, server.url, rootBytes);
    assert.equal(readFileSync(join(cache, 'notes.txt'), 'utf8'), 'mine');
  });
});
