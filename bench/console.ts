/**
 * `npm run bench -- console`: the web console on a big log. A log of 1,000,000 hashedrekord entries is
 * written straight through the store's bulk path (the sequencer's batches: tree nodes, search index and a
 * signed checkpoint per batch, no HTTP and no signature checks), then the console's log search is timed
 * over HTTP for every search key, page 1 and a deep page, beside the same lookup on the store in-process
 * (the floor). Last, the entry page's time to a verdict in Chromium: fetch, inclusion proof and checkpoint
 * checked with WebCrypto, rendered.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { canonicalJson, listenUrl, sha256 } from '../src/core/index.js';
import { generateKeyPair, publicKeyPem } from '../src/crypto/index.js';
import { buildConsoleApp } from '../src/server/index.js';
import {
  type AcceptedEntry,
  buildTlogApp,
  createLogKey,
  leafHash,
  Sequencer,
  SqliteLogStorage,
  searchKeyOf,
  TransparencyLog,
} from '../src/tlog/index.js';
import { CHROMIUM, launchChromium } from '../test/helpers/chromium.js';
import { formatTiming, measure, type Timing } from './stats.js';

const ENTRIES = Number(process.env.SIGIL_BENCH_CONSOLE_ENTRIES ?? 1_000_000);
/** A folder to build the log in and keep (a second run with the same folder reuses it, skipping the build). */
const KEEP = process.env.SIGIL_BENCH_CONSOLE_DIR;
const BATCH = 20_000;
const QUERIES = Number(process.env.SIGIL_BENCH_CONSOLE_QUERIES ?? 1000);
const RENDERS = 20;
// Shapes of a busy private deployment: many signers, few issuers, a few hundred keys, every hash unique.
const IDENTITIES = 2000;
const ISSUERS = 5;
const KEYS = 200;

/** The signers' keys; kept beside a kept log (keys.json), so that a second run searches for the same ones. */
function signerKeys(): { content: string; fingerprint: string }[] {
  const file = KEEP ? join(KEEP, 'keys.json') : undefined;
  if (file && existsSync(file)) return JSON.parse(readFileSync(file, 'utf8'));
  const made = Array.from({ length: KEYS }, () => {
    const pem = publicKeyPem(generateKeyPair('ecdsa-p256').publicKey);
    return { content: Buffer.from(pem).toString('base64'), fingerprint: searchKeyOf('publicKey', pem) };
  });
  if (file) {
    mkdirSync(KEEP as string, { recursive: true });
    writeFileSync(file, JSON.stringify(made));
  }
  return made;
}
const keys = signerKeys();
const identity = (n: number) =>
  n % 2 === 0
    ? `dev${n % IDENTITIES}@example.com`
    : `https://github.com/org${n % 97}/app${n % IDENTITIES}/.github/workflows/release.yml@refs/heads/main`;
const issuer = (n: number) => `https://issuer${n % ISSUERS}.example.com`;
const artifact = (n: number) => sha256(`artifact ${n}`).toString('hex');

function syntheticEntry(n: number): AcceptedEntry {
  const key = keys[n % KEYS] as (typeof keys)[number];
  const hash = artifact(n);
  const spec = {
    data: { hash: { algorithm: 'sha256', value: hash } },
    signature: { content: sha256(`sig ${n}`).toString('base64'), publicKey: { content: key.content } },
  };
  const body = Buffer.from(canonicalJson({ apiVersion: '0.0.1', kind: 'hashedrekord', spec }));
  const id = identity(n);
  return {
    kind: 'hashedrekord',
    apiVersion: '0.0.1',
    body,
    leafHash: leafHash(body),
    indexKeys: [`sha256:${hash}`, key.fingerprint, searchKeyOf('identity', id), `issuer:${issuer(n)}`],
  };
}

/** Writes `ENTRIES` entries through the sequencer in batches of BATCH; returns the seconds it took. */
async function buildLog(dir: string): Promise<number> {
  const storage = new SqliteLogStorage(join(dir, 'log.db'));
  const key = await createLogKey(join(dir, 'log-key.pem'));
  const started = performance.now();
  const sequencer = await Sequencer.start(storage, key, {
    origin: `127.0.0.1 - ${await storage.treeId()}`,
    signerName: '127.0.0.1',
    batchSize: BATCH,
    intervalMs: 0,
    entryTimestamps: false,
  });
  for (let from = 0; from < ENTRIES; from += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, ENTRIES - from) }, (_, i) =>
      sequencer.submit(syntheticEntry(from + i)),
    );
    await Promise.all(batch);
  }
  await sequencer.drain();
  sequencer.close();
  await storage.close();
  return (performance.now() - started) / 1000;
}

const agent = new Agent({ keepAlive: true, maxSockets: 1 });

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, { agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });
}

export async function benchConsole(): Promise<void> {
  console.log(
    `\n== console: log search over HTTP on ${ENTRIES.toLocaleString('en')} entries, entry page in Chromium ==`,
  );
  const dir = KEEP ?? (await mkdtemp(join(tmpdir(), 'sigil-bench-console-')));
  try {
    if (KEEP && existsSync(join(dir, 'log.db'))) {
      console.log(`reusing the log built in ${dir}`);
    } else {
      await mkdir(dir, { recursive: true });
      const buildSeconds = await buildLog(dir);
      const size = (await stat(join(dir, 'log.db'))).size;
      console.log(
        `built the log through the bulk path in ${buildSeconds.toFixed(1)} s (${(ENTRIES / buildSeconds).toFixed(0)} entries/s, ${(size / 2 ** 20).toFixed(0)} MiB of SQLite)`,
      );
    }
    const { loadLogKey } = await import('../src/tlog/index.js');
    const storage = new SqliteLogStorage(join(dir, 'log.db'));
    const log = await TransparencyLog.open(storage, await loadLogKey(join(dir, 'log-key.pem')), {
      hostname: '127.0.0.1',
    });
    const tlogApp = buildTlogApp(log);
    const tlogUrl = await listenUrl(tlogApp, '127.0.0.1', 0);
    const consoleApp = buildConsoleApp({ host: '127.0.0.1', port: 0, tlogUrl });
    const consoleUrl = await listenUrl(consoleApp, '127.0.0.1', 0);
    try {
      const pick = (i: number) => Math.floor(((i * 7919) % ENTRIES) + 0);
      const cases: [string, string, (i: number) => string, (i: number) => string][] = [
        ['hash', 'hash', (i) => `sha256:${artifact(pick(i))}`, (i) => `sha256:${artifact(pick(i))}`],
        [
          'identity (email)',
          'identity',
          (i) => identity(2 * (i % (IDENTITIES / 2))),
          (i) => searchKeyOf('identity', identity(2 * (i % (IDENTITIES / 2)))),
        ],
        [
          'identity (workflow URI)',
          'identity',
          (i) => identity(2 * (i % (IDENTITIES / 2)) + 1),
          (i) => searchKeyOf('identity', identity(2 * (i % (IDENTITIES / 2)) + 1)),
        ],
        ['OIDC issuer', 'issuer', (i) => issuer(i), (i) => `issuer:${issuer(i)}`],
        [
          'public key',
          'publicKey',
          (i) => (keys[i % KEYS] as (typeof keys)[number]).fingerprint.slice(4),
          (i) => (keys[i % KEYS] as (typeof keys)[number]).fingerprint,
        ],
        ['log index', 'logIndex', (i) => String(pick(i)), () => ''],
      ];
      const rows: [string, Timing, Timing][] = [];
      for (const [label, field, value, key] of cases) {
        const http = await measure(QUERIES, async (i) => {
          const answer = await get(
            `${consoleUrl}/ui/api/log/search?field=${field}&value=${encodeURIComponent(value(i))}&limit=25`,
          );
          if (answer.status !== 200 || !answer.body.includes('"uuid"'))
            throw new Error(`${label}: ${answer.status} ${answer.body.slice(0, 200)}`);
        });
        const floor = await measure(QUERIES, async (i) => {
          if (field === 'logIndex') await storage.entryByIndex(Number(value(i)));
          else
            await Promise.all(
              (await storage.searchPage(key(i), { limit: 26 }))
                .slice(0, 25)
                .map((n) => storage.entryByIndex(n)),
            );
        });
        rows.push([label, http, floor]);
      }
      // A deep page of the busiest key: the cursor keeps it a range read.
      const deep = await measure(QUERIES, async (i) => {
        const before = ENTRIES - 1 - ((i * 104_729) % (ENTRIES - 1000));
        const answer = await get(
          `${consoleUrl}/ui/api/log/search?field=issuer&value=${encodeURIComponent(issuer(i))}&before=${before}&limit=25`,
        );
        if (answer.status !== 200) throw new Error(answer.body);
      });
      const deepFloor = await measure(QUERIES, async (i) => {
        const before = ENTRIES - 1 - ((i * 104_729) % (ENTRIES - 1000));
        await Promise.all(
          (await storage.searchPage(`issuer:${issuer(i)}`, { before, limit: 26 }))
            .slice(0, 25)
            .map((n) => storage.entryByIndex(n)),
        );
      });
      rows.push(['OIDC issuer, deep page (before=<cursor>)', deep, deepFloor]);
      // The health page counts entries per minute over the last hour: a range of the integrated-time index.
      const health = await measure(20, async () => {
        const answer = await get(`${consoleUrl}/ui/api/log/health`);
        if (answer.status !== 200) throw new Error(answer.body);
      });
      console.log(formatTiming('log health (entries per minute over the last hour)', health));
      for (const [label, http, floor] of rows) {
        console.log(formatTiming(`search ${label} (HTTP, page of 25)`, http));
        console.log(
          `${' '.repeat(4)}store in-process floor p50 ${floor.p50ms.toFixed(3)} ms p99 ${floor.p99ms.toFixed(3)} ms; HTTP/floor p50 ${(http.p50ms / floor.p50ms).toFixed(1)}x`,
        );
      }
      if (!existsSync(CHROMIUM)) {
        console.log('entry page in Chromium: skipped (no /usr/bin/chromium)');
        return;
      }
      const browser = await launchChromium();
      try {
        const page = await browser.context.newPage();
        const entry = await log.byIndex(Math.floor(ENTRIES / 2));
        const latencies: number[] = [];
        for (let i = 0; i < RENDERS; i++) {
          await page.goto('about:blank');
          const started = performance.now();
          await page.goto(`${consoleUrl}/ui/#/entry/${entry?.uuid}`);
          const verdict = page.getByTestId('verdict');
          await verdict.waitFor();
          latencies.push(performance.now() - started);
          if ((await verdict.textContent())?.includes('not verified'))
            throw new Error((await verdict.textContent()) ?? '');
        }
        const sorted = [...latencies].sort((a, b) => a - b);
        const proof = entry?.entry.verification.inclusionProof.hashes.length;
        console.log(
          `entry page to a verified verdict in Chromium (index ${Math.floor(ENTRIES / 2)}, ${proof}-hash proof): first ${latencies[0]?.toFixed(0)} ms, p50 ${sorted[Math.floor(RENDERS / 2)]?.toFixed(0)} ms, max ${sorted.at(-1)?.toFixed(0)} ms over ${RENDERS} page loads`,
        );
      } finally {
        await browser.close();
      }
    } finally {
      await consoleApp.close();
      await tlogApp.close();
      await log.close();
    }
  } finally {
    if (!KEEP) await rm(dir, { recursive: true, force: true });
  }
}
