/**
 * `npm run bench -- tlog-replicas`: the log on PostgreSQL served by 1 and then 3 `sigil tlog serve`
 * processes (submissions spread over them, one integrating), and how long the lease takes to move after
 * kill -9 of the integrating one. Figures as ratios measured in this run: 3 replicas against 1, each
 * against the single-thread check of one entry, and the takeover against the replicas' poll interval.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { generateKeyPair, keySigner, verifierPem } from '../src/crypto/index.js';
import { acceptProposedEntry, hashedRekordProposal } from '../src/tlog/index.js';
import { postgresBinDir, startPostgres } from '../test/helpers/postgres.js';
import { isIntegratingReplica, startTlogProcess, type TlogProcess } from '../test/helpers/tlog-process.js';
import { formatTiming, measure, type Timing } from './stats.js';
import { http } from './tlog.js';

const ENTRIES = Number(process.env.SIGIL_BENCH_REPLICAS_ENTRIES ?? 3_000);
const CLIENTS = 128;
/** The replicas' default poll interval (ReplicationOptions.pollMs): a takeover waits for a poll. */
const POLL_MS = 250;

const signer = keySigner(generateKeyPair('ecdsa-p256').privateKey);
async function proposals(label: string, count: number): Promise<string[]> {
  const bodies: string[] = [];
  for (let n = 0; n < count; n++) {
    const data = Buffer.from(`${label} artifact ${n}`);
    bodies.push(JSON.stringify(hashedRekordProposal(data, await signer.sign(data), verifierPem(signer))));
  }
  return bodies;
}

/** Appends/s with submissions spread round-robin over the replicas (each must be answered 201). */
async function appends(replicas: TlogProcess[], label: string): Promise<Timing> {
  const bodies = await proposals(label, ENTRIES);
  return measure(
    ENTRIES,
    async (i) => {
      const url = (replicas[i % replicas.length] as TlogProcess).url;
      const status = await http('POST', `${url}/api/v1/log/entries`, bodies[i]);
      if (status !== 201) throw new Error(`${url} answered ${status}`);
    },
    CLIENTS,
  );
}

/** Milliseconds from kill -9 of the integrator until a survivor has integrated a new submission. */
async function takeover(replicas: TlogProcess[]): Promise<number> {
  const roles = await Promise.all(replicas.map((r) => isIntegratingReplica(r.url)));
  const victim = replicas[roles.indexOf(true)] as TlogProcess;
  const survivor = replicas.find((r) => r !== victim) as TlogProcess;
  const [body] = await proposals('after the kill', 1);
  const started = performance.now();
  await victim.stop('SIGKILL');
  const status = await http('POST', `${survivor.url}/api/v1/log/entries`, body);
  if (status !== 201) throw new Error(`after the kill ${survivor.url} answered ${status}`);
  return performance.now() - started;
}

export async function benchTlogReplicas(): Promise<void> {
  console.log('\n## tlog replicas: `sigil tlog serve --database` processes on one PostgreSQL');
  if (!postgresBinDir()) {
    console.log('(PostgreSQL not installed: skipped)');
    return;
  }
  const data = Buffer.from('floor');
  const sample = hashedRekordProposal(data, await signer.sign(data), verifierPem(signer));
  const floor = await measure(ENTRIES, () => acceptProposedEntry(sample));
  console.log(formatTiming('floor: one hashedrekord entry check (this thread)', floor));

  const postgres = await startPostgres();
  const replicas: TlogProcess[] = [];
  try {
    const dataDir = await mkdtemp(join(tmpdir(), 'sigil-bench-replicas-'));
    const args = ['--database', postgres.url];
    replicas.push(await startTlogProcess(dataDir, args));
    const one = await appends(replicas, 'one replica');
    replicas.push(await startTlogProcess(dataDir, args), await startTlogProcess(dataDir, args));
    const three = await appends(replicas, 'three replicas');
    const ratio = (t: Timing) => `= ${(t.perSecond / floor.perSecond).toFixed(2)}x the floor`;
    console.log(`${formatTiming('appends, 1 replica', one)}  ${ratio(one)}`);
    console.log(
      `${formatTiming('appends, 3 replicas (round-robin)', three)}  ${ratio(three)}, ${(three.perSecond / one.perSecond).toFixed(2)}x 1 replica`,
    );
    const ms = await takeover(replicas);
    console.log(
      `takeover after kill -9 of the integrator: ${ms.toFixed(0)} ms to the next acknowledged entry = ${(ms / POLL_MS).toFixed(1)}x the ${POLL_MS} ms lease poll`,
    );
  } finally {
    await Promise.all(replicas.map((r) => r.stop()));
    await postgres.stop();
  }
}
