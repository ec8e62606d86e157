/**
 * How the demo runs its steps: a numbered heading, then this very sigil binary as a child process with the
 * command echoed, as the user would type it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { SigilError } from '../../../core/index.js';
import { info } from '../../output.js';

const SIGIL = process.argv[1] as string;

export function step(n: number, title: string): void {
  info(`\n== ${n}. ${title}`);
}

/** Starts `sigil args` in the background, its stdout piped (the caller reads it) and stderr shown. */
export function spawnSigil(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, [SIGIL, ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] });
}

/**
 * Runs sigil, echoing the command, and checks the exit code the step expects; returns what it printed on
 * stdout when `capture` is set (otherwise stdout passes through). Asynchronous because the registry is
 * served from this process: a blocking spawn would starve it.
 */
async function run(
  args: string[],
  env: NodeJS.ProcessEnv,
  expectedStatus: number,
  capture: boolean,
): Promise<string> {
  info(`$ sigil ${args.join(' ')}`);
  const child = spawn(process.execPath, [SIGIL, ...args], {
    env,
    stdio: ['ignore', capture ? 'pipe' : 'inherit', 'inherit'],
  });
  let out = '';
  child.stdout?.on('data', (chunk) => {
    out += chunk;
  });
  const status = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (!capture) info(`  (exit code ${status})`);
  if (status !== expectedStatus) {
    throw new SigilError(
      'BAD_INPUT',
      `demo step failed: "sigil ${args[0]}" exited ${status}, expected ${expectedStatus}`,
    );
  }
  return out;
}

export async function sigil(args: string[], env: NodeJS.ProcessEnv, expectedStatus: number): Promise<void> {
  await run(args, env, expectedStatus, false);
}

/** Runs sigil, which must succeed, and returns what it printed on stdout (stderr passes through). */
export function sigilOutput(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return run(args, env, 0, true);
}

/** The first line a background child prints on stdout (`sigil serve --output json` prints its URLs). */
export function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    child.stdout?.on('data', (chunk) => {
      buffered += chunk;
      const end = buffered.indexOf('\n');
      if (end >= 0) resolve(buffered.slice(0, end));
    });
    child.once('exit', (code) => reject(new SigilError('BAD_INPUT', `demo: sigil serve exited ${code}`)));
  });
}
