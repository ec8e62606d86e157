/**
 * A chaos run of the replicated log: `sigil tlog serve` replicas on one PostgreSQL under load from many
 * clients spread over all of them, the integrating replica killed (-9) every few seconds and replaced by a
 * new process, PostgreSQL restarted as after a crash once in the middle. What clients were acknowledged is
 * recorded with when, so a test can check none of it was lost and a benchmark can print the takeover times
 * and the throughput dip. Clients behave as real ones do: an entry whose request failed (replica gone,
 * database down) is sent again, to the next replica, until it is answered; a 409 answers where it already is.
 */
import type { KeyObject } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseRekorEntry, type RekorEntry } from '../../src/tlog/index.js';
import type { PostgresServer } from './postgres.js';
import { signedHashedRekord } from './tlog-entries.js';
import { isIntegratingReplica, startTlogProcess, type TlogProcess } from './tlog-process.js';

export interface ChaosOptions {
  postgres: PostgresServer;
  /** The replicas' shared data directory (the log key) and their flags (--database among them). */
  dataDir: string;
  replicaArgs: string[];
  replicas: number;
  clients: number;
  durationMs: number;
  killEveryMs: number;
  /** Signs the clients' hashedrekord entries. */
  privateKey: KeyObject;
}

export interface Acknowledgement {
  entry: RekorEntry;
  /** When the client first sent the entry and when it got its answer, ms from the run's start. */
  sentAt: number;
  answeredAt: number;
}

export interface ChaosReport {
  acknowledged: Acknowledgement[];
  /** Each kill -9 of the integrator, ms from the start, and the replica's URL. */
  kills: { at: number; url: string }[];
  /** When PostgreSQL was stopped and when it accepted connections again, ms from the start. */
  postgresRestart: { at: number; backAt: number };
  /** Requests that failed and were sent again (to a dead replica, during the restart...). */
  retries: number;
  /** The replicas alive at the end (the caller stops them). */
  replicas: TlogProcess[];
}

/** The answer to one POST of `body`, or undefined when it must be sent again. */
async function submit(url: string, body: string): Promise<RekorEntry | undefined> {
  try {
    const response = await fetch(`${url}/api/v1/log/entries`, {
      method: 'POST',
      body,
      headers: { 'Content-Type': 'application/json' },
      signal: AbortSignal.timeout(60_000),
    });
    if (response.status === 201) {
      return parseRekorEntry(Object.values((await response.json()) as object)[0], 'acknowledgement');
    }
    await response.arrayBuffer();
    const location = response.headers.get('location');
    if (response.status !== 409 || !location) return undefined;
    // Logged by an earlier attempt whose answer was lost: the entry is where the 409 says.
    const existing = await fetch(new URL(location, url), { signal: AbortSignal.timeout(10_000) });
    if (!existing.ok) return undefined;
    return parseRekorEntry(Object.values((await existing.json()) as object)[0], 'existing entry');
  } catch {
    return undefined; // the replica died mid-request, or is restarting
  }
}

export async function runTlogChaos(options: ChaosOptions): Promise<ChaosReport> {
  const live: TlogProcess[] = [];
  for (let i = 0; i < options.replicas; i++) {
    live.push(await startTlogProcess(options.dataDir, options.replicaArgs));
  }
  const start = performance.now();
  const now = () => performance.now() - start;
  const report: ChaosReport = {
    acknowledged: [],
    kills: [],
    postgresRestart: { at: 0, backAt: 0 },
    retries: 0,
    replicas: live,
  };
  let running = true;

  const client = async (c: number) => {
    for (let i = 0, turn = c; running; i++) {
      const body = JSON.stringify(await signedHashedRekord(options.privateKey, `chaos ${c} ${i}`));
      const sentAt = now();
      for (;;) {
        const target = live[turn++ % live.length] as TlogProcess;
        const entry = await submit(target.url, body);
        if (entry) {
          report.acknowledged.push({ entry, sentAt, answeredAt: now() });
          break;
        }
        report.retries++;
        if (!running) return; // given up unacknowledged: the log owes it nothing
        await sleep(50);
      }
    }
  };

  const starting: Promise<void>[] = [];
  const chaos = async () => {
    let restarted = false;
    while (now() + options.killEveryMs < options.durationMs) {
      await sleep(options.killEveryMs);
      if (!restarted && now() >= options.durationMs / 2) {
        restarted = true;
        report.postgresRestart.at = now();
        await options.postgres.restart();
        report.postgresRestart.backAt = now();
        continue;
      }
      const roles = await Promise.all(live.map((replica) => isIntegratingReplica(replica.url)));
      const victim = live[roles.indexOf(true)];
      // None while the lease is between holders; a lone replica is kept for the clients: kill next turn.
      if (!victim || live.length < 2) continue;
      live.splice(live.indexOf(victim), 1);
      report.kills.push({ at: now(), url: victim.url });
      await victim.stop('SIGKILL');
      // A rescheduled pod: the replacement joins (as a follower) once it is up, while the kills go on.
      starting.push(
        startTlogProcess(options.dataDir, options.replicaArgs).then((replica) => {
          live.push(replica);
        }),
      );
    }
  };

  const clients = Array.from({ length: options.clients }, (_, c) => client(c));
  try {
    await chaos();
    await sleep(Math.max(0, options.durationMs - now()));
  } finally {
    // Also when the chaos failed (a replacement that would not start): the clients must stop with it.
    running = false;
    await Promise.all(clients);
    await Promise.all(starting);
  }
  return report;
}

/** Milliseconds from each kill until the log next integrated an entry sent after it (the takeover). */
export function takeoverTimes(report: ChaosReport): number[] {
  return report.kills.map(({ at }) => {
    const next = report.acknowledged
      .filter((a) => a.sentAt >= at)
      .reduce((first, a) => Math.min(first, a.answeredAt), Number.POSITIVE_INFINITY);
    return next - at;
  });
}

/** Acknowledgements answered in each second of the run. */
export function acknowledgedPerSecond(report: ChaosReport, durationMs: number): number[] {
  const seconds = new Array<number>(Math.ceil(durationMs / 1000)).fill(0);
  for (const { answeredAt } of report.acknowledged) {
    const second = Math.min(seconds.length - 1, Math.floor(answeredAt / 1000));
    seconds[second] = (seconds[second] ?? 0) + 1;
  }
  return seconds;
}
