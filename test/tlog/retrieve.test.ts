/** `POST /api/v1/log/entries/retrieve`: by UUID, by log index, and by proposed entry (rekor-cli verify). */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type RunningTlog, startTlog } from '../../src/tlog/index.js';
import { workDir } from '../helpers/cli.js';
import { signedHashedRekord } from '../helpers/tlog-entries.js';

describe('log entry retrieval', () => {
  let tlog: RunningTlog;
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });

  before(async () => {
    tlog = await startTlog({
      host: '127.0.0.1',
      port: 0,
      dataDir: join(await workDir(), 'tlog'),
      intervalMs: 5,
    });
  });
  after(() => tlog.close());

  const retrieve = async (query: unknown) => {
    const response = await fetch(`${tlog.url}/api/v1/log/entries/retrieve`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(query),
    });
    return { status: response.status, body: (await response.json()) as unknown };
  };

  it('finds a logged entry by the proposed entry itself, and nothing for one never logged', async () => {
    const logged = await signedHashedRekord(privateKey, 'logged');
    const created = await fetch(`${tlog.url}/api/v1/log/entries`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(logged),
    });
    assert.equal(created.status, 201);
    const [uuid] = Object.keys((await created.json()) as Record<string, unknown>);
    const found = await retrieve({ entries: [logged] });
    assert.equal(found.status, 200);
    assert.deepEqual(
      (found.body as Array<Record<string, unknown>>).map((e) => Object.keys(e)[0]),
      [uuid],
    );
    const absent = await retrieve({ entries: [await signedHashedRekord(privateKey, 'never logged')] });
    assert.deepEqual(absent.body, []);
  });

  it('refuses an empty query and a proposed entry whose signature does not verify', async () => {
    assert.equal((await retrieve({})).status, 400);
    const forged = await signedHashedRekord(privateKey, 'forged');
    forged.spec.data.hash.value = 'a'.repeat(64);
    assert.equal((await retrieve({ entries: [forged] })).status, 400);
  });
});
