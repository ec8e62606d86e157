import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { generateKeyPair, keySigner, publicKeyPem, verifierPem } from '../src/crypto/index.js';
import { preAuthEncoding } from '../src/formats/index.js';
import { hashedRekordProposal } from '../src/tlog/index.js';
import { postgresBinDir, startPostgres } from '../test/helpers/postgres.js';
import { startTlogProcess } from '../test/helpers/tlog-process.js';
import { memoryLine } from './stats.js';
import { benchTlogAnchors } from './tlog-anchors.js';

const CLIENTS = 256;
const DSSE_ENTRIES = Number(process.env.SIGIL_BENCH_TLOG_ENTRIES ?? 50_000);
const HASHEDREKORD_ENTRIES = Number(process.env.SIGIL_BENCH_TLOG_HASHEDREKORD ?? 3_000);
const PROOF_READ_SECONDS = 5;

const { privateKey, publicKey } = generateKeyPair('ecdsa-p256');
const signer = keySigner(privateKey);
const keyContent = Buffer.from(publicKeyPem(publicKey)).toString('base64');

async function dsseProposal(n: number): Promise<unknown> {
  const payload = Buffer.from(
    JSON.stringify({ _type: 'https://in-toto.io/Statement/v1', n, subject: [{ name: `artifact-${n}` }] }),
  );
  const sig = await signer.sign(preAuthEncoding('application/vnd.in-toto+json', payload));
  const envelope = JSON.stringify({
    payloadType: 'application/vnd.in-toto+json',
    payload: payload.toString('base64'),
    signatures: [{ sig: sig.toString('base64') }],
  });
  return {
    apiVersion: '0.0.1',
    kind: 'dsse',
    spec: { proposedContent: { envelope, verifiers: [keyContent] } },
  };
}

async function hashedRekordEntry(n: number): Promise<unknown> {
  const data = Buffer.from(`artifact number ${n}`);
  return hashedRekordProposal(data, await signer.sign(data), verifierPem(signer));
}

// node:http with keep-alive: the bench's client must cost less than the server it measures (fetch costs more).
const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });

function http(method: string, url: string, body?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        agent,
        headers: body
          ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) }
          : {},
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

interface LoadResult {
  count: number;
  seconds: number;
  latencies: number[];
  failures: number;
}

/** `total` submissions from CLIENTS concurrent clients; each latency is submit → 201 (time-to-integrate). */
async function load(
  url: string,
  total: number,
  make: (n: number) => Promise<unknown>,
  label: string,
): Promise<LoadResult> {
  let next = 0;
  let failures = 0;
  const latencies: number[] = [];
  const started = performance.now();
  let lastReport = started;
  const client = async () => {
    while (next < total) {
      const n = next++;
      const body = JSON.stringify(await make(n));
      const t0 = performance.now();
      const status = await http('POST', `${url}/api/v1/log/entries`, body);
      if (status === 201) latencies.push(performance.now() - t0);
      else failures++;
      const now = performance.now();
      if (now - lastReport > 5000) {
        lastReport = now;
        process.stderr.write(`  ${label}: ${latencies.length}/${total} integrated\n`);
      }
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, client));
  return {
    count: latencies.length,
    seconds: (performance.now() - started) / 1000,
    latencies: latencies.sort((a, b) => a - b),
    failures,
  };
}

function describeLoad(label: string, r: LoadResult): string {
  const at = (q: number) =>
    (r.latencies[Math.min(r.latencies.length - 1, Math.floor(q * r.latencies.length))] ?? 0).toFixed(1);
  return `${label.padEnd(34)} ${(r.count / r.seconds).toFixed(0).padStart(6)} appends/s   time-to-integrate p50 ${at(0.5)} ms  p99 ${at(0.99)} ms   (${r.count} in ${r.seconds.toFixed(1)} s, ${r.failures} failed)`;
}

async function proofReads(url: string, size: number): Promise<number> {
  let reads = 0;
  const deadline = performance.now() + PROOF_READ_SECONDS * 1000;
  const reader = async () => {
    while (performance.now() < deadline) {
      const index = Math.floor(Math.random() * size);
      if ((await http('GET', `${url}/api/v1/log/entries?logIndex=${index}`)) === 200) reads++;
    }
  };
  await Promise.all(Array.from({ length: 64 }, reader));
  return reads / PROOF_READ_SECONDS;
}

async function directoryBytes(dir: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(dir)) total += (await stat(join(dir, name))).size;
  return total;
}

export async function benchTlog(): Promise<void> {
  const backends: [string, (dataDir: string) => Promise<{ args: string[]; stop(): Promise<void> }>][] = [
    ['SQLite (WAL, synchronous=FULL)', async () => ({ args: [], stop: async () => {} })],
  ];
  if (process.env.SIGIL_BENCH_TLOG_POSTGRES === '0') {
    console.log('(SIGIL_BENCH_TLOG_POSTGRES=0: PostgreSQL skipped)');
  } else if (postgresBinDir()) {
    backends.push([
      'PostgreSQL (synchronous_commit=on)',
      async () => {
        const pg = await startPostgres();
        return { args: ['--database', pg.url], stop: pg.stop };
      },
    ]);
  } else {
    console.log('(PostgreSQL is not installed: its column is skipped)');
  }
  for (const [name, prepare] of backends) {
    const dataDir = await mkdtemp(join(tmpdir(), 'sigil-bench-tlog-'));
    const backend = await prepare(dataDir);
    const server = await startTlogProcess(dataDir, backend.args);
    try {
      console.log(
        `\n# transparency log on ${name}: sigil tlog serve, ${CLIENTS} concurrent clients, loopback HTTP`,
      );
      const dsse = await load(server.url, DSSE_ENTRIES, dsseProposal, 'dsse');
      console.log(describeLoad('dsse 0.0.1 (ECDSA P-256)', dsse));
      const hashed = await load(server.url, HASHEDREKORD_ENTRIES, hashedRekordEntry, 'hashedrekord');
      console.log(describeLoad('hashedrekord 0.0.1 (ECDSA P-256)', hashed));
      const size = ((await (await fetch(`${server.url}/api/v1/log`)).json()) as { treeSize: number })
        .treeSize;
      console.log(
        `inclusion-proof reads (GET entry + proof, 64 clients): ${(await proofReads(server.url, size)).toFixed(0)}/s`,
      );
      if (backend.args.length === 0) {
        const bytes = await directoryBytes(dataDir);
        console.log(
          `tree size reached: ${size}; on disk ${(bytes / 2 ** 20).toFixed(1)} MiB = ${(bytes / size).toFixed(0)} bytes/entry`,
        );
      } else {
        console.log(`tree size reached: ${size}`);
      }
      console.log(memoryLine());
    } finally {
      await server.stop();
      await backend.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  }
  await benchTlogAnchors();
}
