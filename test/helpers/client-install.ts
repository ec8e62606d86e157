/**
 * sigil as a CI job or a deployer gets it: the npm package packed from this clone (the built dist/, so
 * `npm run build` first) and installed from that tarball with `--omit=optional`, under a PATH that holds
 * no compiler, so nothing can be built: no better-sqlite3, no pkcs11js, no native verifier.
 */
import { existsSync, mkdirSync, readdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runProcess } from './cli.js';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The optional modules that need a native build; a client-only install has none of them. */
export const NATIVE_MODULES = ['better-sqlite3', 'pkcs11js', 'sigil-prehashed-verify'];

/** What a compiler-less CI image still has: node and npm, a shell, git, and the few tools npm calls. */
const TOOLS = [
  'node',
  'npm',
  'npx',
  'sh',
  'bash',
  'git',
  'env',
  'tar',
  'gzip',
  'cat',
  'ls',
  'mkdir',
  'rm',
  'cp',
  'mv',
];
/** What node-gyp would reach for; none of them may be on the PATH the install runs under. */
export const COMPILER_TOOLS = ['cc', 'gcc', 'c++', 'g++', 'clang', 'make', 'python', 'python3'];

/** A folder of links to TOOLS only, to be the whole PATH of the install and of the installed sigil. */
export function compilerlessPath(dir: string): string {
  mkdirSync(dir, { recursive: true });
  for (const tool of TOOLS) {
    const found = which(tool);
    if (found) symlinkSync(realpathSync(found), join(dir, tool));
  }
  return dir;
}

export function which(tool: string, path = process.env.PATH ?? ''): string | undefined {
  return path
    .split(delimiter)
    .map((folder) => join(folder, tool))
    .find((candidate) => existsSync(candidate));
}

/**
 * The environment of a compiler-less job: this one with PATH replaced and the variables that point node-gyp
 * at a compiler or a Python removed. The rest stays (npm's cache and registry settings, CA bundles).
 */
export function compilerlessEnv(path: string, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = { ...definedEnv(), PATH: path, ...extra };
  for (const name of Object.keys(env)) {
    if (/^(CC|CXX|MAKE|PYTHON|npm_config_python|npm_config_node_gyp|npm_config_omit)$/i.test(name))
      delete env[name];
  }
  return env;
}

function definedEnv(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}

/**
 * What npm inside a CI runner needs from this environment, for runners that start jobs with a clean one:
 * the machine's warm cache, and the CA bundle a TLS-intercepting proxy to the registry may require.
 */
export function npmEnv(): Record<string, string> {
  const passed = Object.entries(process.env).filter(
    (entry): entry is [string, string] =>
      entry[1] !== undefined &&
      /^(npm_config_\w+|NODE_EXTRA_CA_CERTS|SSL_CERT_FILE|SSL_CERT_DIR|HTTPS?_PROXY|NO_PROXY)$/i.test(
        entry[0],
      ),
  );
  return { npm_config_cache: join(homedir(), '.npm'), ...Object.fromEntries(passed) };
}

/** `npm pack` of this clone into `dir` (scripts off: dist/ is already built); the tarball's path. */
export async function packSigil(dir: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const packed = await runProcess(
    'npm',
    ['pack', '--ignore-scripts', '--silent', '--pack-destination', dir],
    {
      cwd: REPO_ROOT,
      env: definedEnv(),
    },
  );
  if (packed.code !== 0) throw new Error(`npm pack failed:\n${packed.stderr}`);
  const name = packed.stdout.trim().split('\n').pop() ?? '';
  return join(dir, name);
}

/**
 * Installs `tarball` into a project folder `dir` with --omit=optional (as `npx sigil` or a CI job's
 * `npm install` does; npm ignores --omit for `-g` with a tarball, npm/cli#8284) under `path`. Prefers the
 * npm cache, which CI's `npm ci` has just filled. Returns the installed `sigil` binary.
 */
export async function installClient(tarball: string, dir: string, path: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), '{"name":"client-install","private":true}\n');
  const installed = await runProcess(
    'npm',
    [
      'install',
      '--omit=optional',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
      tarball,
    ],
    { cwd: dir, env: compilerlessEnv(path) },
  );
  if (installed.code !== 0) throw new Error(`npm install of ${tarball} failed:\n${installed.stderr}`);
  return join(dir, 'node_modules', '.bin', 'sigil');
}

/** The native modules present in an install's node_modules (none, for a client-only install). */
export function nativeModulesIn(dir: string): string[] {
  const installed = new Set(readdirSync(join(dir, 'node_modules')));
  return NATIVE_MODULES.filter((name) => installed.has(name));
}
