/**
 * Streamed blob transfers (getBlobStream + pushBlobStream) between the embedded registry and the real
 * distribution registry, and against a broken source that serves other bytes than the digest names: the
 * transfer fails with DIGEST_MISMATCH and the destination never commits the blob.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isSigilError, sha256Digest } from '../../src/core/index.js';
import {
  type ImageReference,
  parseReference,
  RegistryClient,
  type RunningRegistry,
  startRegistry,
} from '../../src/oci/index.js';
import { dockerRegistryInstalled, startDockerRegistry } from '../helpers/docker-registry.js';
import { peerMissing } from '../helpers/peers.js';

const BLOB = randomBytes(3 << 20);
const DIGEST = sha256Digest(BLOB);

/** A "registry" that answers every blob GET with `body` (and its true Content-Length), whatever the digest. */
async function brokenSource(body: Buffer): Promise<{ address: string; server: Server }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': body.length });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { address: `127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

async function rejectsWith(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(isSigilError(err), String(err));
    assert.equal(err.code, 'DIGEST_MISMATCH', err.message);
    assert.match(err.message, pattern);
    return true;
  });
}

describe('streamed blob transfers', () => {
  const client = new RegistryClient({ retries: 0 });
  let dir: string;
  let source: RunningRegistry;
  const destinations: { name: string; address: string; close(): Promise<void> }[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sigil-blob-stream-'));
    source = await startRegistry({ host: '127.0.0.1', port: 0, dataDir: join(dir, 'source') });
    await client.pushBlob(parseReference(`${source.address}/src/app`), BLOB);
    const embedded = await startRegistry({ host: '127.0.0.1', port: 0, dataDir: join(dir, 'dest') });
    destinations.push({ name: 'embedded', ...embedded });
    if (!peerMissing('docker-registry', dockerRegistryInstalled())) {
      destinations.push({ name: 'distribution', ...(await startDockerRegistry()) });
    }
  });
  after(async () => {
    await Promise.all([source, ...destinations].map((r) => r?.close()));
    await rm(dir, { recursive: true, force: true });
  });

  /** Streams `digest` of `size` bytes from `from` into `repo` at each destination, one after the other. */
  async function eachDestination(
    check: (name: string, to: ImageReference, transfer: Promise<unknown>) => Promise<void>,
    from: string,
    size: number,
    repo: string,
  ): Promise<void> {
    for (const destination of destinations) {
      const to = parseReference(`${destination.address}/${repo}`);
      const blob = client.getBlobStream(parseReference(from), DIGEST, size);
      const transfer = blob.then(({ stream }) => client.pushBlobStream(to, DIGEST, size, stream));
      await check(destination.name, to, transfer);
    }
  }

  it('copies a blob from the embedded registry to each destination, byte for byte', async () => {
    await eachDestination(
      async (name, to, transfer) => {
        assert.deepEqual(await transfer, { digest: DIGEST, size: BLOB.length }, name);
        assert.ok((await client.getBlob(to, DIGEST)).equals(BLOB), name);
      },
      `${source.address}/src/app`,
      BLOB.length,
      'ok/app',
    );
  });

  it('the size comes from Content-Length when the caller has no descriptor', async () => {
    const blob = await client.getBlobStream(parseReference(`${source.address}/src/app`), DIGEST);
    assert.equal(blob.size, BLOB.length);
    await blob.stream.cancel();
  });

  const broken: [string, Buffer, RegExp][] = [
    ['other bytes of the same size', randomBytes(BLOB.length), /content digest is sha256:\w+, expected/],
    ['too few bytes', BLOB.subarray(0, BLOB.length - 1), /content is \d+ bytes, expected \d+/],
    ['too many bytes', Buffer.concat([BLOB, Buffer.from('x')]), /content is more than \d+ bytes/],
  ];
  for (const [what, body, pattern] of broken) {
    it(`a source serving ${what}: DIGEST_MISMATCH, and no destination has the blob`, async () => {
      const fake = await brokenSource(body);
      try {
        await eachDestination(
          async (name, to, transfer) => {
            await rejectsWith(transfer, pattern);
            assert.equal(await client.hasBlob(to, DIGEST), false, `${name} committed a wrong blob`);
          },
          `${fake.address}/src/app`,
          BLOB.length,
          'bad/app',
        );
      } finally {
        fake.server.closeAllConnections();
        await new Promise((resolve) => fake.server.close(resolve));
      }
    });
  }

  it('a descriptor size that is not the blob size fails the download', async () => {
    const blob = await client.getBlobStream(
      parseReference(`${source.address}/src/app`),
      DIGEST,
      BLOB.length + 1,
    );
    await rejectsWith(new Response(blob.stream).arrayBuffer(), /content is \d+ bytes, expected \d+/);
  });
});
