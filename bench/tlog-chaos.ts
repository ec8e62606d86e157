/**
 * `npm run bench -- tlog-chaos`: the figures of the private Sigstore's failover.
 * - The log: 3 replicas on one PostgreSQL, 64 clients over all of them for a minute, the integrator killed
 *   (-9) every 3 s and replaced, PostgreSQL restarted as after a crash in the middle (the harness of
 *   test/e2e/tlog-chaos.test.ts, which checks nothing acknowledged was lost). Printed: the takeover time
 *   (kill to the next entry integrated that was sent after it) p50/max over the kills, against the lease
 *   poll; acknowledgements per second in the steady seconds against the worst ones; the restart's outage.
 * - The CA: certificates/s through 1 and then 2 `sigil ca serve` replicas sharing their CT log on
 *   PostgreSQL, against the raw-crypto floor.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair } from '../src/crypto/index.js';
import { startDevIssuer } from '../src/oidc/index.js';
import { startSigilServer } from '../test/helpers/admission-serve.js';
import { sigil } from '../test/helpers/cli.js';
import { freePort } from '../test/helpers/ports.js';
import { postgresBinDir, startPostgres } from '../test/helpers/postgres.js';
import { acknowledgedPerSecond, runTlogChaos, takeoverTimes } from '../test/helpers/tlog-chaos.js';
import { benchCertificates } from './certificates.js';

const DURATION_MS = Number(process.env.SIGIL_BENCH_CHAOS_MS ?? 66_000);
const KILL_EVERY_MS = 3_000;
/** The replicas' default lease poll (ReplicationOptions.pollMs): a takeover waits for a poll. */
const POLL_MS = 250;

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;

async function logChaos(): Promise<void> {
  const postgres = await startPostgres();
  try {
    const report = await runTlogChaos({
      postgres,
      dataDir: await mkdtemp(join(tmpdir(), 'sigil-bench-chaos-')),
      replicaArgs: ['--database', postgres.url],
      replicas: 3,
      clients: 64,
      durationMs: DURATION_MS,
      killEveryMs: KILL_EVERY_MS,
      privateKey: generateKeyPair().privateKey,
    });
    await Promise.all(report.replicas.map((r) => r.stop()));
    const takeovers = takeoverTimes(report).sort((a, b) => a - b);
    console.log(
      `log: ${report.acknowledged.length} entries acknowledged in ${DURATION_MS / 1000} s, ${report.kills.length} kills, ${report.retries} requests sent again`,
    );
    console.log(
      `takeover after kill -9 of the integrator (${takeovers.length} kills): p50 ${quantile(takeovers, 0.5).toFixed(0)} ms, max ${(takeovers.at(-1) ?? 0).toFixed(0)} ms = ${(quantile(takeovers, 0.5) / POLL_MS).toFixed(1)}x / ${((takeovers.at(-1) ?? 0) / POLL_MS).toFixed(1)}x the ${POLL_MS} ms lease poll`,
    );
    const { at, backAt } = report.postgresRestart;
    const firstAfter = report.acknowledged
      .filter((a) => a.sentAt >= backAt)
      .reduce((first, a) => Math.min(first, a.answeredAt), Number.POSITIVE_INFINITY);
    console.log(
      `PostgreSQL restart (immediate, as a crash): down for ${(backAt - at).toFixed(0)} ms; the next entry sent was acknowledged ${(firstAfter - backAt).toFixed(0)} ms after it came back`,
    );
    // The first and last seconds are ramp-up and wind-down.
    const perSecond = acknowledgedPerSecond(report, DURATION_MS).slice(1, -1);
    const sorted = [...perSecond].sort((a, b) => a - b);
    const steady = quantile(sorted, 0.5);
    console.log(
      `acknowledged per second: median ${steady}, worst ${sorted[0]} (${((sorted[0] ?? 0) / steady).toFixed(2)}x the median), 10th percentile ${quantile(sorted, 0.1)}; seconds with none: ${perSecond.filter((n) => n === 0).length}`,
    );
    console.log(`per second: ${perSecond.join(' ')}`);
  } finally {
    await postgres.stop();
  }
}

async function caReplicas(): Promise<void> {
  const postgres = await startPostgres();
  const oidc = await startDevIssuer('127.0.0.1', 0);
  const servers: Awaited<ReturnType<typeof startSigilServer>>[] = [];
  try {
    const dir = await mkdtemp(join(tmpdir(), 'sigil-bench-ca-replicas-'));
    const config = { OIDCIssuers: { [oidc.issuers.email]: { ClientID: 'sigstore', Type: 'email' } } };
    await writeFile(join(dir, 'fulcio.json'), JSON.stringify(config));
    const init = await sigil(['ca', 'init'], { cwd: dir });
    if (init.code !== 0) throw new Error(init.stderr);
    const serve = async () => {
      const port = await freePort();
      const args = ['ca', 'serve', '--addr', `127.0.0.1:${port}`, '--config', 'fulcio.json'];
      servers.push(
        await startSigilServer(
          [...args, '--ct-log-database', postgres.url],
          dir,
          'certificate authority listening on',
        ),
      );
      return `http://127.0.0.1:${port}`;
    };
    const count = Number(process.env.SIGIL_BENCH_CERTIFICATES ?? 500);
    let n = 0;
    const mint = () => oidc.mint({ kind: 'email', email: `bench-${n++}@example.com` });
    const urls = [await serve()];
    const one = await benchCertificates({ caUrl: urls, mint, count });
    urls.push(await serve());
    const two = await benchCertificates({ caUrl: urls, mint, count });
    console.log(`CA replicas: 2 replicas = ${(two.perSecond / one.perSecond).toFixed(2)}x 1 replica`);
  } finally {
    for (const server of servers) server.kill();
    await oidc.close();
    await postgres.stop();
  }
}

export async function benchTlogChaos(): Promise<void> {
  console.log('\n## chaos: log replicas killed under load, PostgreSQL restarted; CA replicas');
  if (!postgresBinDir()) {
    console.log('(PostgreSQL not installed: skipped)');
    return;
  }
  await logChaos();
  await caReplicas();
}
