/**
 * sigil's log beside its anchors, with one client for all (node:http keep-alive, CLIENTS closed-loop
 * clients, the same ENTRIES each): Tessera's POSIX conformance server for raw leaves, rekor-tiles (Rekor v2
 * on Tessera's POSIX driver) for signed entries. Each log is a fresh process on loopback.
 *
 * What an answer means differs, so the figures say which:
 * - Tessera's `/add` answers with the index once the entry is sequenced AND integrated into the tiles, which
 *   its POSIX driver writes with fsync (durable); the signed checkpoint that commits to it is published up to
 *   1 s later. Both times are printed: the answer, and the first published checkpoint covering the entry
 *   (polled every CHECKPOINT_POLL_MS).
 * - rekor-tiles and sigil answer 201 only once a signed checkpoint covers the entry, with its inclusion proof;
 *   sigil's is durable (SQLite, synchronous=FULL) before it answers.
 * - sigil has no raw-leaf endpoint: every write verifies a signature. Its cheapest write, a hashedrekord
 *   0.0.2 (one ECDSA P-256 verification), stands in for raw leaves, and Tessera logs the bytes of the very
 *   same requests.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { sha256 } from '../src/core/index.js';
import { generateKeyPair, keySigner } from '../src/crypto/index.js';
import { preAuthEncoding } from '../src/formats/index.js';
import { acceptV2Request } from '../src/tlog/index.js';
import { peerVersion } from '../test/helpers/peers.js';
import { startTlogProcess } from '../test/helpers/tlog-process.js';
import { type AnchorLog, anchorMissing, startRekorTiles, startTessera } from './anchor-logs.js';

const CLIENTS = Number(process.env.SIGIL_BENCH_ANCHORS_CLIENTS ?? 256);
const ENTRIES = Number(process.env.SIGIL_BENCH_ANCHORS_ENTRIES ?? 5_000);
const CHECKPOINT_POLL_MS = 20;

interface Reply {
  status: number;
  body: string;
}

interface Run {
  label: string;
  appendsPerSecond: number;
  p50: number;
  p99: number;
  count: number;
  seconds: number;
  failures: number;
  firstFailure?: string;
}

/** `count` POSTs of `bodies[i]` to `path`, CLIENTS at a time; `accepted` tells a logged entry from a failure. */
async function drive(
  agent: Agent,
  url: string,
  path: string,
  bodies: string[],
  accepted: (reply: Reply) => boolean,
  onLogged?: (i: number, sentAt: number, reply: Reply) => void,
): Promise<{ latencies: number[]; seconds: number; failures: number; firstFailure?: string }> {
  const latencies: number[] = [];
  let failures = 0;
  let firstFailure: string | undefined;
  let next = 0;
  const started = performance.now();
  const client = async () => {
    while (next < bodies.length) {
      const i = next++;
      const t0 = performance.now();
      const reply = await post(agent, `${url}${path}`, bodies[i] as string);
      if (accepted(reply)) {
        latencies.push(performance.now() - t0);
        onLogged?.(i, t0, reply);
      } else {
        failures++;
        firstFailure ??= `HTTP ${reply.status}: ${reply.body.slice(0, 200)}`;
      }
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, client));
  return { latencies, seconds: (performance.now() - started) / 1000, failures, firstFailure };
}

function post(agent: Agent, url: string, body: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function summarise(
  label: string,
  r: { latencies: number[]; seconds: number; failures: number; firstFailure?: string },
): Run {
  const sorted = [...r.latencies].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  return {
    label,
    appendsPerSecond: sorted.length / r.seconds,
    p50: at(0.5),
    p99: at(0.99),
    count: sorted.length,
    seconds: r.seconds,
    failures: r.failures,
    ...(r.firstFailure ? { firstFailure: r.firstFailure } : {}),
  };
}

function describe(run: Run): string {
  const line = `${run.label.padEnd(58)} ${run.appendsPerSecond.toFixed(0).padStart(6)} appends/s   time-to-integrate p50 ${run.p50.toFixed(1)} ms  p99 ${run.p99.toFixed(1)} ms   (${run.count} in ${run.seconds.toFixed(1)} s, ${run.failures} failed)`;
  return run.firstFailure ? `${line}\n    first failure: ${run.firstFailure}` : line;
}

function ratios(sigil: Run, peer: Run, peerName: string): string {
  return `  ratio sigil/${peerName}: appends/s ×${(sigil.appendsPerSecond / peer.appendsPerSecond).toFixed(2)}, p50 ×${(sigil.p50 / peer.p50).toFixed(2)}, p99 ×${(sigil.p99 / peer.p99).toFixed(2)} (throughput above 1 and latency below 1 favour sigil)`;
}

function missing(reason: string): void {
  console.log(`!!! ${reason}: its figures are missing from this run`);
}

/** The same signed entries for every log: hashedrekord 0.0.2 and dsse 0.0.2 requests (protobuf-specs JSON). */
async function signedRequests(count: number): Promise<{ hashedrekord: string[]; dsse: string[] }> {
  const { privateKey, publicKey } = generateKeyPair('ecdsa-p256');
  const signer = keySigner(privateKey);
  const verifier = {
    publicKey: { rawBytes: publicKey.export({ type: 'spki', format: 'der' }).toString('base64') },
    keyDetails: 'PKIX_ECDSA_P256_SHA_256',
  };
  // A per-run nonce: a log that remembers earlier runs' entries (antispam) must not see duplicates.
  const nonce = sha256(Buffer.from(`${process.pid} ${Date.now()}`))
    .toString('hex')
    .slice(0, 16);
  const hashedrekord: string[] = [];
  const dsse: string[] = [];
  for (let n = 0; n < count; n++) {
    const data = Buffer.from(`artifact ${n} of bench run ${nonce}`);
    const signature = await signer.sign(data);
    hashedrekord.push(
      JSON.stringify({
        hashedRekordRequestV002: {
          digest: sha256(data).toString('base64'),
          signature: { content: signature.toString('base64'), verifier },
        },
      }),
    );
    const payloadType = 'application/vnd.in-toto+json';
    const payload = Buffer.from(
      JSON.stringify({
        _type: 'https://in-toto.io/Statement/v1',
        subject: [{ name: `artifact-${n}-${nonce}` }],
      }),
    );
    const sig = await signer.sign(preAuthEncoding(payloadType, payload));
    dsse.push(
      JSON.stringify({
        dsseRequestV002: {
          envelope: {
            payload: payload.toString('base64'),
            payloadType,
            signatures: [{ sig: sig.toString('base64'), keyid: '' }],
          },
          verifiers: [verifier],
        },
      }),
    );
  }
  return { hashedrekord, dsse };
}

const created = (reply: Reply) => reply.status === 201;

/**
 * The floor under sigil's hashedrekord line: parsing and verifying the same requests on one thread, in this
 * process, with no HTTP and no storage (Tessera does neither; rekor-tiles verifies too).
 */
function verificationFloor(bodies: string[]): string {
  const sample = bodies.slice(0, Math.min(bodies.length, 1_000)).map((b) => JSON.parse(b) as unknown);
  const t0 = performance.now();
  for (const request of sample) acceptV2Request(request);
  const perSecond = sample.length / ((performance.now() - t0) / 1000);
  return `floor: sigil's acceptV2Request (parse + ECDSA P-256 verification of a hashedrekord 0.0.2, one thread, no HTTP) ${perSecond.toFixed(0)}/s`;
}

/**
 * Tessera's raw leaves: each answer's index, and when the first published checkpoint covering it was seen
 * (a poller reads /checkpoint, whose second line is the tree size, every CHECKPOINT_POLL_MS).
 */
async function tesseraRawLeaves(agent: Agent, log: AnchorLog, leaves: string[]): Promise<[Run, Run]> {
  const sizes: { at: number; size: number }[] = [];
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const res = await fetch(`${log.url}/checkpoint`);
      const size = Number((await res.text()).split('\n')[1]);
      sizes.push({ at: performance.now(), size });
      await new Promise((r) => setTimeout(r, CHECKPOINT_POLL_MS));
    }
  })();
  const logged: { sentAt: number; index: number }[] = [];
  const answered = await drive(
    agent,
    log.url,
    '/add',
    leaves,
    (reply) => reply.status === 200 && /^\d+$/.test(reply.body),
    (_i, sentAt, reply) => logged.push({ sentAt, index: Number(reply.body) }),
  );
  const lastIndex = Math.max(...logged.map((l) => l.index));
  const deadline = performance.now() + 5_000;
  while ((sizes.at(-1)?.size ?? 0) <= lastIndex && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, CHECKPOINT_POLL_MS));
  }
  polling = false;
  await poller;
  const committed = logged.flatMap(({ sentAt, index }) => {
    const seen = sizes.find((s) => s.at >= sentAt && s.size > index);
    return seen ? [seen.at - sentAt] : [];
  });
  const lastCommit = sizes.find((s) => s.size > lastIndex)?.at ?? performance.now();
  const firstSent = Math.min(...logged.map((l) => l.sentAt));
  return [
    summarise('Tessera /add, answer (sequenced + integrated, fsynced)', answered),
    summarise('Tessera /add, covered by a published checkpoint', {
      latencies: committed,
      seconds: (lastCommit - firstSent) / 1000,
      failures: logged.length - committed.length,
    }),
  ];
}

async function measureAnchor(
  name: 'tessera' | 'rekor-tiles',
  start: () => Promise<AnchorLog>,
  run: (log: AnchorLog) => Promise<Run[]>,
): Promise<Run[] | undefined> {
  const why = anchorMissing(name);
  if (why) {
    missing(why);
    return undefined;
  }
  const log = await start();
  try {
    return await run(log);
  } finally {
    await log.stop();
  }
}

async function measureSigil(agent: Agent, runs: [string, string[]][]): Promise<Run[]> {
  const results: Run[] = [];
  for (const [label, bodies] of runs) {
    const dataDir = await mkdtemp(join(tmpdir(), 'sigil-bench-anchors-'));
    const server = await startTlogProcess(dataDir);
    try {
      results.push(summarise(label, await drive(agent, server.url, '/api/v2/log/entries', bodies, created)));
    } finally {
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  }
  return results;
}

export async function benchTlogAnchors(): Promise<void> {
  console.log(
    `\n# sigil's log beside Tessera and rekor-tiles: ${ENTRIES} entries each (SIGIL_BENCH_ANCHORS_ENTRIES), ${CLIENTS} concurrent clients (SIGIL_BENCH_ANCHORS_CLIENTS), loopback HTTP, one fresh log per line`,
  );
  const requests = await signedRequests(ENTRIES);
  const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
  try {
    const [sigilHashed, sigilDsse] = await measureSigil(agent, [
      ['sigil /api/v2/log/entries hashedrekord 0.0.2 (ECDSA P-256)', requests.hashedrekord],
      ['sigil /api/v2/log/entries dsse 0.0.2 (ECDSA P-256)', requests.dsse],
    ]);
    if (!sigilHashed || !sigilDsse) throw new Error('sigil measured nothing');

    console.log(
      '\n## raw leaves: Tessera logs the bytes of the hashedrekord requests; sigil verifies and logs them',
    );
    const tessera = await measureAnchor('tessera', startTessera, (log) =>
      tesseraRawLeaves(agent, log, requests.hashedrekord),
    );
    console.log(describe(sigilHashed));
    if (tessera) {
      const [answer, covered] = tessera as [Run, Run];
      console.log(describe(answer));
      console.log(describe(covered));
      console.log(ratios(sigilHashed, answer, 'Tessera answer'));
      console.log(ratios(sigilHashed, covered, 'Tessera checkpointed'));
    }

    console.log(
      '\n## signed entries: rekor-tiles and sigil, the same requests, both answer with a checkpointed proof',
    );
    // With every client always waiting, appends/s = clients ÷ mean latency (Little's law): a log whose answer
    // waits a fixed time, as rekor-tiles' does for its next checkpoint, would go faster with more clients.
    console.log(
      '(rekor-tiles answers once its next checkpoint (every 1 s) is seen by a poll (every 1 s): its rate here is that wait, and grows with SIGIL_BENCH_ANCHORS_CLIENTS)',
    );
    const rekorTiles = await measureAnchor('rekor-tiles', startRekorTiles, async (log) => {
      const hashed = summarise(
        'rekor-tiles hashedrekord 0.0.2 (ECDSA P-256)',
        await drive(agent, log.url, '/api/v2/log/entries', requests.hashedrekord, created),
      );
      // One DSSE request first: rekor-tiles dropped the dsse kind upstream (v2.3.0 answers 400 "must be
      // hashedrekord"), and the bench says so rather than timing thousands of refusals.
      const probe = await post(agent, `${log.url}/api/v2/log/entries`, requests.dsse[0] as string);
      const dsse = created(probe)
        ? await drive(agent, log.url, '/api/v2/log/entries', requests.dsse.slice(1), created)
        : { latencies: [], seconds: 0, failures: 1, firstFailure: `HTTP ${probe.status}: ${probe.body}` };
      return [hashed, summarise('rekor-tiles dsse 0.0.2 (ECDSA P-256)', dsse)];
    });
    console.log(describe(sigilHashed));
    const [rekorHashed, rekorDsse] = rekorTiles ?? [];
    if (rekorHashed) {
      console.log(describe(rekorHashed));
      console.log(ratios(sigilHashed, rekorHashed, 'rekor-tiles'));
    }
    console.log(describe(sigilDsse));
    if (rekorDsse && rekorDsse.count === 0) {
      missing(
        `rekor-tiles ${peerVersion('rekor-tiles')} refuses dsse 0.0.2 entries (${rekorDsse.firstFailure})`,
      );
    } else if (rekorDsse) {
      console.log(describe(rekorDsse));
      console.log(ratios(sigilDsse, rekorDsse, 'rekor-tiles'));
    }
    console.log(`\n${verificationFloor(requests.hashedrekord)}`);
  } finally {
    agent.destroy();
  }
}
