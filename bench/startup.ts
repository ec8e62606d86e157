/**
 * Start-up of the `sigil` process, as CI steps and scripts run it: process CPU (user + system, which a
 * busy machine disturbs less than wall time) and wall time, p50 over RUNS runs, and the modules loaded,
 * for `--version` and a key-based `verify-blob` of a Sigstore bundle.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SIGIL_BIN, sigil } from '../test/helpers/cli.js';
import { traceModules } from '../test/helpers/module-trace.js';

const RUNS = 20;

export async function benchStartup(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'sigil-bench-startup-'));
  try {
    const env = { COSIGN_PASSWORD: '' };
    await writeFile(join(dir, 'file.txt'), 'an artifact\n');
    await sigil(['generate-key-pair'], { cwd: dir, env });
    await sigil(
      ['sign-blob', '--key', 'cosign.key', '--tlog-upload=false', '--bundle', 'b.json', 'file.txt'],
      {
        cwd: dir,
        env,
      },
    );
    const cases: Array<[string, string[]]> = [
      ['--version', ['--version']],
      [
        'verify-blob (key + bundle)',
        ['verify-blob', '--key', 'cosign.pub', '--bundle', 'b.json', '--insecure-ignore-tlog', 'file.txt'],
      ],
    ];
    console.log(`\nstartup: sigil process, p50 of ${RUNS} runs`);
    for (const [label, args] of cases) {
      const runs: Array<{ cpuMs: number; wallMs: number }> = [];
      for (let i = 0; i < RUNS; i++) runs.push(await timedRun(args, dir));
      const { modules } = await traceModules(args, dir);
      const cpu = median(runs.map((run) => run.cpuMs));
      const wall = median(runs.map((run) => run.wallMs));
      console.log(
        `  ${label.padEnd(28)} cpu ${cpu.toFixed(0).padStart(4)} ms  wall ${wall.toFixed(0).padStart(4)} ms  modules ${modules.length}`,
      );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** One run: the child reports its own process CPU at exit (Node gives a parent no child's rusage). */
export function timedRun(args: string[], cwd: string): Promise<{ cpuMs: number; wallMs: number }> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(
      process.execPath,
      [
        '--import',
        'data:text/javascript,process.on("exit",()=>{const u=process.cpuUsage();process.stderr.write("\\ncpu-us "+(u.user+u.system)+"\\n")})',
        SIGIL_BIN,
        ...args,
      ],
      { cwd, env: { PATH: process.env.PATH ?? '', HOME: cwd }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
      const cpu = /cpu-us (\d+)/.exec(stderr);
      if (code !== 0 || !cpu?.[1])
        return reject(new Error(`sigil ${args.join(' ')} failed (${code}): ${stderr}`));
      resolve({ cpuMs: Number(cpu[1]) / 1000, wallMs });
    });
  });
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}
