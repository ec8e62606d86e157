/**
 * The sigstore-conformance suite (its pytest harness and bundle-verify cases, in shared/fixtures) run
 * against sigil through the suite's CLI protocol (test/peers/conformance-client.mjs → `sigil verify-blob`),
 * with --skip-signing: signing needs the suite's public test identity and infrastructure, unreachable here.
 * Each case is verified twice by the harness, from the file (PATH) and from its sha256: digest (DIGEST);
 * every one of them becomes a test here, so a regression names its case.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { workDir } from '../helpers/cli.js';
import { FIXTURES } from '../helpers/fixtures.js';
import { requirePeer } from '../helpers/peers.js';

const SUITE = join(FIXTURES, 'sigstore-conformance');
const PEERS = join(import.meta.dirname, '..', 'peers');
const pytest = requirePeer('conformance', 'pytest');

interface PytestReport {
  summary: Record<string, number>;
  tests: { nodeid: string; outcome: string; call?: { longrepr?: string } }[];
}

/** Runs the suite's verify tests once; resolves with pytest-json-report's report. */
async function runSuite(): Promise<PytestReport> {
  const dir = await workDir();
  const reportFile = join(dir, 'report.json');
  const args = [
    '-p',
    'conformance_offline',
    '-p',
    'no:cacheprovider',
    '--entrypoint',
    join(PEERS, 'conformance-client.mjs'),
    '--skip-signing',
    '-q',
    '--json-report',
    `--json-report-file=${reportFile}`,
    'test/',
  ];
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(pytest.path, args, {
      cwd: SUITE,
      env: { ...process.env, PYTHONPATH: PEERS, PYTHONDONTWRITEBYTECODE: '1', HOME: dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    child.stdout.on('data', (chunk) => {
      text += chunk;
    });
    child.stderr.on('data', (chunk) => {
      text += chunk;
    });
    child.on('error', reject);
    // pytest exits 1 when a case fails: the cases below report which.
    child.on('close', (code) => (code === 0 || code === 1 ? resolve(text) : reject(new Error(text))));
  });
  try {
    return JSON.parse(readFileSync(reportFile, 'utf8')) as PytestReport;
  } catch {
    throw new Error(`pytest wrote no report:\n${output.slice(-3000)}`);
  }
}

/** The bundle-verify cases the suite parametrizes over: one directory each, named `..._fail` when it must fail. */
function verifyCases(): string[] {
  const assets = join(SUITE, 'test', 'assets', 'bundle-verify');
  return readdirSync(assets, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

describe('interop: sigstore-conformance verify suite → sigil verify-blob', { skip: pytest.skip }, () => {
  let report: PytestReport;
  before(async () => {
    report = await runSuite();
  });

  for (const name of pytest.skip ? [] : verifyCases()) {
    for (const input of ['PATH', 'DIGEST']) {
      it(`${name} (${input === 'PATH' ? 'file' : 'sha256: digest'})`, () => {
        const nodeid = `test/test_bundle.py::test_verify[${input}-${name}]`;
        const result = report.tests.find((t) => t.nodeid === nodeid);
        assert.ok(result, `the suite did not run ${nodeid}`);
        assert.equal(result.outcome, 'passed', lastErrorLine(result.call?.longrepr));
      });
    }
  }
});

/** The client's own one-line error, out of pytest's long failure text. */
function lastErrorLine(longrepr: string | undefined): string {
  const lines = (longrepr ?? '').split('\n').filter((line) => /Error:|ClientUnexpectedSuccess/.test(line));
  return lines.at(-1)?.trim() ?? '(no error line)';
}
