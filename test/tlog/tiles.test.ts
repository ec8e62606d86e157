import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generateKeyPair } from '../../src/crypto/index.js';
import {
  leafHash,
  parseTilePath,
  type RunningTlog,
  rootFromLeafHashes,
  startTlog,
  tilePath,
  verifyCheckpoint,
} from '../../src/tlog/index.js';
import { signedHashedRekord } from '../helpers/tlog-entries.js';

const { privateKey } = generateKeyPair();

describe('tlog-tiles read API', () => {
  let tlog: RunningTlog;
  const count = 300;
  before(async () => {
    tlog = await startTlog({
      host: '127.0.0.1',
      port: 0,
      dataDir: await mkdtemp(join(tmpdir(), 'sigil-tiles-')),
      intervalMs: 2,
    });
    await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        await tlog.log.add(await signedHashedRekord(privateKey, `tile entry ${i}`));
      }),
    );
  });
  after(() => tlog.close());

  const get = async (path: string) => {
    const response = await fetch(`${tlog.url}${path}`);
    return {
      status: response.status,
      bytes: Buffer.from(await response.arrayBuffer()),
      cache: response.headers.get('cache-control'),
    };
  };

  it('encodes and parses tile paths as the spec does', () => {
    assert.equal(tilePath({ level: 0, index: 1234067 }), '/tile/0/x001/x234/067');
    assert.equal(tilePath({ level: 'entries', index: 5, width: 44 }), '/tile/entries/005.p/44');
    assert.deepEqual(parseTilePath('/tile/2/x001/x234/067.p/8'), { level: 2, index: 1234067, width: 8 });
    assert.equal(parseTilePath('/tile/0/1234'), undefined);
    assert.equal(parseTilePath('/tile/0/000.p/256'), undefined);
  });

  it('serves the checkpoint, full and partial tiles, and entry bundles that rebuild the signed root', async () => {
    const checkpointNote = (await get('/checkpoint')).bytes.toString();
    const logId = tlog.log.key.logId;
    const checkpoint = verifyCheckpoint(checkpointNote, {
      name: '127.0.0.1',
      keyHint: logId.subarray(0, 4),
      publicKey: tlog.log.key.publicKey,
    });
    assert.equal(checkpoint.size, count);

    const full = await get('/tile/0/000');
    assert.equal(full.status, 200);
    assert.equal(full.bytes.length, 256 * 32);
    assert.match(full.cache ?? '', /immutable/);
    const partial = await get(`/tile/0/001.p/${count - 256}`);
    assert.equal(partial.bytes.length, (count - 256) * 32);
    const leaves = [...chunks(full.bytes), ...chunks(partial.bytes)];
    assert.deepEqual(rootFromLeafHashes(leaves), checkpoint.rootHash);

    const level1 = await get('/tile/1/000.p/1');
    assert.deepEqual(level1.bytes, rootFromLeafHashes(chunks(full.bytes)));

    const bundle = (await get('/tile/entries/000')).bytes;
    const bodies: Buffer[] = [];
    for (let at = 0; at < bundle.length; ) {
      const length = bundle.readUInt16BE(at);
      bodies.push(bundle.subarray(at + 2, at + 2 + length));
      at += 2 + length;
    }
    assert.equal(bodies.length, 256);
    assert.deepEqual(
      bodies.map((b) => leafHash(b)),
      chunks(full.bytes),
    );
  });

  it('answers 404 for tiles beyond the tree', async () => {
    assert.equal((await get('/tile/0/002')).status, 404);
    assert.equal((await get('/tile/0/001')).status, 404);
    assert.equal((await get(`/tile/0/001.p/${count - 255}`)).status, 404);
    assert.equal((await get('/tile/0/abc')).status, 404);
  });
});

function chunks(bytes: Buffer): Buffer[] {
  return Array.from({ length: bytes.length / 32 }, (_, i) => bytes.subarray(i * 32, i * 32 + 32));
}
