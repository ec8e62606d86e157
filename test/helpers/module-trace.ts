/**
 * Which modules a `sigil` process loads: the CLI runs under a `--import` hook that records every module
 * the ES loader resolves and, at exit, every CommonJS module in require's cache (lazily required
 * packages load that way). For the start-up test and benchmark.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SIGIL_BIN } from './cli.js';

const LOADER = `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(process.env.SIGIL_MODULE_TRACE, resolved.url + '\\n');
  return resolved;
}
`;

const HOOK = `import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
register('./loader.mjs', import.meta.url);
const cache = createRequire(import.meta.url)('node:module')._cache;
process.on('exit', () => {
  appendFileSync(process.env.SIGIL_MODULE_TRACE, Object.keys(cache).map((path) => 'file://' + path + '\\n').join(''));
});
`;

export interface ModuleTrace {
  code: number;
  /** Unique file URLs of the modules loaded (node: built-ins left out). */
  modules: string[];
}

export async function traceModules(args: string[], cwd?: string): Promise<ModuleTrace> {
  const dir = await mkdtemp(join(tmpdir(), 'sigil-trace-'));
  try {
    await writeFile(join(dir, 'loader.mjs'), LOADER);
    await writeFile(join(dir, 'hook.mjs'), HOOK);
    const out = join(dir, 'modules.txt');
    await writeFile(out, '');
    const code = await new Promise<number>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', join(dir, 'hook.mjs'), SIGIL_BIN, ...args], {
        cwd,
        env: { PATH: process.env.PATH ?? '', HOME: cwd ?? dir, SIGIL_MODULE_TRACE: out },
        stdio: 'ignore',
      });
      child.on('error', reject);
      child.on('close', (status) => resolve(status ?? -1));
    });
    const lines = (await readFile(out, 'utf8')).split('\n').filter((line) => line.startsWith('file://'));
    return { code, modules: [...new Set(lines)] };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The npm packages among the modules (`@scope/name` or `name`), each once. */
export function packagesOf(modules: readonly string[]): string[] {
  const names = modules.flatMap((url) => {
    const match = /.*node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
    return match?.[1] ? [match[1]] : [];
  });
  return [...new Set(names)].sort();
}
