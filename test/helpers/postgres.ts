/**
 * A throw-away PostgreSQL server (Debian's postgresql package) for tests and benchmarks: initdb in a
 * temporary directory, started on a free loopback port, trust auth, stopped and deleted afterwards.
 * PostgreSQL refuses to run as root, so as root it runs as the `postgres` user.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';

export interface PostgresServer {
  url: string;
  /**
   * Stops the server as a crash would (immediate: no checkpoint, WAL replayed at start) and starts it again
   * on the same port; resolves once it accepts connections. Asynchronous, so clients run on meanwhile.
   */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export function postgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const version = readdirSync(root).sort((a, b) => Number(b) - Number(a))[0];
  const dir = version ? join(root, version, 'bin') : undefined;
  return dir && existsSync(join(dir, 'initdb')) ? dir : undefined;
}

/** The command line that runs `program` as the postgres user when this process is root. */
function asPostgresUserArgv(program: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', program, ...args]] : [program, args];
}

function asPostgresUser(program: string, args: string[]): void {
  const [command, argv] = asPostgresUserArgv(program, args);
  execFileSync(command, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
}

export async function startPostgres(): Promise<PostgresServer> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL is not installed (apt-get install postgresql)');
  const dir = mkdtempSync(join(tmpdir(), 'sigil-pg-'));
  chmodSync(dir, 0o755);
  if (process.getuid?.() === 0) {
    const { uid, gid } = userIds('postgres');
    chownSync(dir, uid, gid);
  }
  const data = join(dir, 'data');
  const port = await freePort();
  asPostgresUser(join(bin, 'initdb'), [
    '-D',
    data,
    '-U',
    'sigil',
    '--auth=trust',
    '-E',
    'UTF8',
    '--no-instructions',
  ]);
  asPostgresUser(join(bin, 'pg_ctl'), [
    '-D',
    data,
    '-l',
    join(dir, 'log'),
    '-w',
    '-o',
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=on`,
    'start',
  ]);
  return {
    url: `postgres://sigil@127.0.0.1:${port}/postgres`,
    // pg_ctl restart starts it again with the options it was started with (postmaster.opts). Its output
    // goes to the log file, and only its exit is awaited: the new postmaster must not hold a pipe of ours.
    restart: () =>
      new Promise((resolve, reject) => {
        const [command, argv] = asPostgresUserArgv(join(bin, 'pg_ctl'), [
          ...['-D', data, '-l', join(dir, 'log'), '-m', 'immediate', '-w', 'restart'],
        ]);
        const child = spawn(command, argv, { stdio: 'ignore' });
        child.once('error', reject);
        child.once('exit', (code) =>
          code === 0 ? resolve() : reject(new Error(`pg_ctl restart exited ${code}`)),
        );
      }),
    stop: async () => {
      try {
        asPostgresUser(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

function userIds(name: string): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', name]).toString().trim());
  const gid = Number(execFileSync('id', ['-g', name]).toString().trim());
  return { uid, gid };
}
