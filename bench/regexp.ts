/**
 * Go-meaning regular expressions (re2js, RE2/J's port of Go's regexp) beside JavaScript's RegExp on a typical
 * cosign/Kyverno identity pattern: patterns compiled per second (uncached: what a policy load or a new CLI
 * flag pays once) and test() calls per second (what each keyless verification pays per certificate
 * identity), with the ratio, and an ECDSA P-256 signature check, the floor a keyless verification pays
 * anyway (at least two per certificate), measured in the same run. Also the cost of loading re2js, which
 * compileGoRegexp does on first use only.
 */
import { execFileSync } from 'node:child_process';
import { createSign, createVerify, generateKeyPairSync } from 'node:crypto';
import { createRequire } from 'node:module';
import { compileGoRegexp } from '../src/core/index.js';
import { formatTiming, measure, type Timing } from './stats.js';

const COUNT = Number(process.env.SIGIL_BENCH_REGEXP ?? 200_000);
const COMPILES = Number(process.env.SIGIL_BENCH_REGEXP_COMPILES ?? 20_000);

const IDENTITY =
  '^https://github\\.com/org/[^/]+/\\.github/workflows/release\\.ya?ml@refs/(heads/main|tags/v[0-9]+\\.[0-9]+\\.[0-9]+)$';
const SUBJECTS = [
  'https://github.com/org/app/.github/workflows/release.yml@refs/tags/v1.2.3',
  'https://github.com/org/app/.github/workflows/release.yml@refs/heads/feature',
  'https://github.com/org-evil/app/.github/workflows/release.yml@refs/heads/main',
  'https://github.com/org/app/.github/workflows/release.yaml@refs/heads/main',
];

function ratio(label: string, a: Timing, b: Timing): string {
  return `  ${label}: ${(a.perSecond / b.perSecond).toFixed(2)}x`;
}

export async function benchRegexp(): Promise<void> {
  const { RE2JS } = createRequire(import.meta.url)('re2js') as typeof import('re2js');
  const load = execFileSync(
    process.execPath,
    ['-e', "const t=performance.now(); require('re2js'); console.log((performance.now()-t).toFixed(1))"],
    { encoding: 'utf8' },
  ).trim();
  console.log(`regexp: loading re2js (first compileGoRegexp in a process): ${load} ms`);

  // Distinct sources so neither engine reuses a compiled program (V8 caches RegExp by source and flags).
  const re2Compile = await measure(COMPILES, (i) => RE2JS.compile(`${IDENTITY}|x${i}`));
  const jsCompile = await measure(COMPILES, (i) => new RegExp(`${IDENTITY}|x${i}`, 'u').test(''));
  console.log(formatTiming('regexp: compile, re2js (uncached)', re2Compile));
  console.log(formatTiming('regexp: compile + first test, JavaScript RegExp', jsCompile));
  const cached = await measure(COUNT, () => compileGoRegexp(IDENTITY, 'bench'));
  console.log(formatTiming('regexp: compileGoRegexp, cached', cached));

  const go = compileGoRegexp(IDENTITY, 'bench');
  const js = new RegExp(IDENTITY, 'u');
  let hits = 0;
  const goTest = await measure(COUNT, (i) => {
    if (go.test(SUBJECTS[i % SUBJECTS.length] ?? '')) hits++;
  });
  const jsTest = await measure(COUNT, (i) => {
    if (js.test(SUBJECTS[i % SUBJECTS.length] ?? '')) hits--;
  });
  if (hits !== 0) throw new Error('re2js and RegExp disagree on the benchmark subjects');
  console.log(formatTiming('regexp: test(), compileGoRegexp (re2js)', goTest));
  console.log(formatTiming('regexp: test(), JavaScript RegExp', jsTest));

  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const data = Buffer.from(SUBJECTS[0] ?? '');
  const signature = createSign('sha256').update(data).sign(privateKey);
  const floor = await measure(Math.min(COUNT, 20_000), () => {
    if (!createVerify('sha256').update(data).verify(publicKey, signature)) throw new Error('bad signature');
  });
  console.log(formatTiming('regexp: floor, one ECDSA P-256 verify', floor));
  console.log(ratio('compile, RegExp / re2js', jsCompile, re2Compile));
  console.log(ratio('test(), RegExp / re2js', jsTest, goTest));
  console.log(ratio('test() re2js / one P-256 verify', goTest, floor));
}
