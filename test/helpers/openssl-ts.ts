/**
 * openssl's RFC 3161 client against a TSA: `openssl ts -query` for `data`, the query POSTed to `tsaUrl`,
 * and `openssl ts -verify` of the reply against `chainPem` (leaf first, root last; the root trusted).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const hasOpenssl = (): boolean => spawnSync('openssl', ['version']).status === 0;

/** Asserts the TSA answers openssl's query with 200 and that openssl verifies the reply. */
export async function assertOpensslVerifiesTimestamp(
  tsaUrl: string,
  data: Uint8Array | string,
  chainPem: string,
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'sigil-openssl-ts-'));
  const path = (name: string) => join(dir, name);
  await writeFile(path('data'), data);
  await writeFile(path('chain.pem'), chainPem);
  await writeFile(path('root.pem'), chainPem.split(/(?<=-----END CERTIFICATE-----\n)/).at(-1) ?? '');
  const query = spawnSync('openssl', [
    'ts',
    '-query',
    '-data',
    path('data'),
    '-sha256',
    '-cert',
    '-out',
    path('q.tsq'),
  ]);
  assert.equal(query.status, 0, query.stderr.toString());
  const response = await fetch(`${tsaUrl}/api/v1/timestamp`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/timestamp-query' },
    body: await readFile(path('q.tsq')),
  });
  assert.equal(response.status, 200, await response.clone().text());
  await writeFile(path('r.tsr'), Buffer.from(await response.arrayBuffer()));
  const verify = spawnSync('openssl', [
    ...['ts', '-verify', '-queryfile', path('q.tsq'), '-in', path('r.tsr')],
    ...['-CAfile', path('root.pem'), '-untrusted', path('chain.pem')],
  ]);
  assert.match(verify.stdout.toString(), /Verification: OK/, verify.stderr.toString());
}
