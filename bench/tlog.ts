import { createHash, verify } from 'node:crypto';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  ecdsaDigestVerifier,
  generateKeyPair,
  keySigner,
  nobleEcdsaDigestVerifier,
  publicKeyPem,
  verifierPem,
  verifyPrehashed,
} from '../src/crypto/index.js';
import { preAuthEncoding } from '../src/formats/index.js';
import { acceptProposedEntry, hashedRekordProposal } from '../src/tlog/index.js';
import { postgresBinDir, startPostgres } from '../test/helpers/postgres.js';
import { startTlogProcess } from '../test/helpers/tlog-process.js';
import { memoryLine } from './stats.js';
import { benchTlogAnchors } from './tlog-anchors.js';

const CLIENTS = 256;
const DSSE_ENTRIES = Number(process.env.SIGIL_BENCH_TLOG_ENTRIES ?? 50_000);
const HASHEDREKORD_ENTRIES = Number(process.env.SIGIL_BENCH_TLOG_HASHEDREKORD ?? 3_000);
const PROOF_READ_SECONDS = 5;
// The pure-JavaScript fallback is ~50x slower than OpenSSL: its floor is timed over fewer checks.
const NOBLE_FLOOR_CHECKS = Math.min(HASHEDREKORD_ENTRIES, 300);
/** `--verify-workers` for the server (default: the CLI's own default). */
const VERIFY_WORKERS = process.env.SIGIL_BENCH_TLOG_WORKERS;

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

/** One request on the keep-alive agent; the status (the body is discarded). */
export function http(method: string, url: string, body?: string): Promise<number> {
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

/** Checks per second of `check` run `count` times in a row on this thread. */
function rate(count: number, check: () => boolean): number {
  const started = performance.now();
  for (let i = 0; i < count; i++) if (!check()) throw new Error('the floor signature did not verify');
  return count / ((performance.now() - started) / 1000);
}

interface Floors {
  /** Node's crypto.verify of one DSSE PAE (what a dsse entry costs in crypto). */
  dsseVerify: number;
  /** verifyPrehashed as the log runs it (OpenSSL through the addon, or the fallback). */
  prehashed: number;
  prehashedName: string;
  /** verifyPrehashed through @noble/curves, the fallback (and what main used, plus a JWK export per call). */
  prehashedNoble: number;
  /** The whole check of one proposed entry (parse, key, signature, canonical body), as a verify worker runs it. */
  dsseAccept: number;
  hashedAccept: number;
}

/** The single-thread crypto floor of each kind, over the same counts as the load (noble: fewer). */
async function measureFloors(): Promise<Floors> {
  const payload = Buffer.from('{"_type":"https://in-toto.io/Statement/v1"}');
  const pae = preAuthEncoding('application/vnd.in-toto+json', payload);
  const dsseSig = await signer.sign(pae);
  const data = Buffer.from('artifact number 0');
  const digest = createHash('sha256').update(data).digest();
  const sig = await signer.sign(data);
  const dsse = await dsseProposal(0);
  const hashed = await hashedRekordEntry(0);
  const native = ecdsaDigestVerifier();
  return {
    dsseVerify: rate(DSSE_ENTRIES, () => verify('sha256', pae, publicKey, dsseSig)),
    prehashed: rate(HASHEDREKORD_ENTRIES, () => verifyPrehashed(publicKey, 'sha256', digest, sig, native)),
    prehashedName: native.name,
    prehashedNoble: rate(NOBLE_FLOOR_CHECKS, () =>
      verifyPrehashed(publicKey, 'sha256', digest, sig, nobleEcdsaDigestVerifier),
    ),
    dsseAccept: rate(DSSE_ENTRIES, () => acceptProposedEntry(dsse).leafHash.length > 0),
    hashedAccept: rate(HASHEDREKORD_ENTRIES, () => acceptProposedEntry(hashed).leafHash.length > 0),
  };
}

function describeFloors(f: Floors): string {
  const n = (x: number) => x.toFixed(0).padStart(6);
  return [
    `# single-thread floors (this process, ECDSA P-256, same key throughout)`,
    `dsse: crypto.verify of the PAE          ${n(f.dsseVerify)}/s; whole entry check ${n(f.dsseAccept)}/s (${DSSE_ENTRIES} checks)`,
    `hashedrekord: verifyPrehashed (${f.prehashedName.padEnd(7)}) ${n(f.prehashed)}/s; whole entry check ${n(f.hashedAccept)}/s (${HASHEDREKORD_ENTRIES} checks)`,
    `hashedrekord: verifyPrehashed (noble)   ${n(f.prehashedNoble)}/s (${NOBLE_FLOOR_CHECKS} checks): ${f.prehashedName} is ${(f.prehashed / f.prehashedNoble).toFixed(1)}x noble`,
  ].join('\n');
}

interface LoadResult {
  count: number;
  seconds: number;
  latencies: number[];
  failures: number;
}

/**
 * `total` submissions from CLIENTS concurrent clients; each latency is submit → 201 (time-to-integrate).
 * The proposals are signed before the clock starts: signing in the loop took CPU from the server on the
 * same cores, so the figure measured the bench's client as much as the log.
 */
async function load(
  url: string,
  total: number,
  make: (n: number) => Promise<unknown>,
  label: string,
): Promise<LoadResult> {
  const bodies: string[] = [];
  for (let n = 0; n < total; n++) bodies.push(JSON.stringify(await make(n)));
  let next = 0;
  let failures = 0;
  const latencies: number[] = [];
  const started = performance.now();
  let lastReport = started;
  const client = async () => {
    while (next < total) {
      const body = bodies[next++] as string;
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

const perSecond = (r: LoadResult) => r.count / r.seconds;

/** A load's figure next to its single-thread floor (the entry check a verify worker runs). */
function describeLoad(label: string, r: LoadResult, floor: number): string {
  const at = (q: number) =>
    (r.latencies[Math.min(r.latencies.length - 1, Math.floor(q * r.latencies.length))] ?? 0).toFixed(1);
  return `${label.padEnd(34)} ${perSecond(r).toFixed(0).padStart(6)} appends/s = ${(perSecond(r) / floor).toFixed(2)}x its single-thread entry check   time-to-integrate p50 ${at(0.5)} ms  p99 ${at(0.99)} ms   (${r.count} in ${r.seconds.toFixed(1)} s, ${r.failures} failed)`;
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
  const floors = await measureFloors();
  console.log(describeFloors(floors));
  const workerArgs = VERIFY_WORKERS ? ['--verify-workers', VERIFY_WORKERS] : [];
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
    const server = await startTlogProcess(dataDir, [...backend.args, ...workerArgs]);
    try {
      console.log(
        `\n# transparency log on ${name}: sigil tlog serve${VERIFY_WORKERS ? ` --verify-workers ${VERIFY_WORKERS}` : ''}, ${CLIENTS} concurrent clients, loopback HTTP`,
      );
      const dsse = await load(server.url, DSSE_ENTRIES, dsseProposal, 'dsse');
      console.log(describeLoad('dsse 0.0.1 (ECDSA P-256)', dsse, floors.dsseAccept));
      const hashed = await load(server.url, HASHEDREKORD_ENTRIES, hashedRekordEntry, 'hashedrekord');
      console.log(describeLoad('hashedrekord 0.0.1 (ECDSA P-256)', hashed, floors.hashedAccept));
      console.log(
        `hashedrekord/dsse appends: ${(perSecond(hashed) / perSecond(dsse)).toFixed(2)} (goal >= 0.8; floors' ratio ${(floors.hashedAccept / floors.dsseAccept).toFixed(2)})`,
      );
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
