/**
 * sigil's servers as an operator runs them (`admission serve`, `ca serve`), and the HTTPS GETs that probe the
 * webhook (as kubelet and the API server do).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { request } from 'node:https';
import { SIGIL_BIN } from './cli.js';

/**
 * Starts `sigil admission serve` with these flags (and `env` over this process's environment); resolves
 * once it listens, rejects if it exits first.
 */
export function startAdmissionServe(
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<ChildProcess> {
  return startSigilServer(['admission', 'serve', ...args], cwd, 'admission webhook on', env);
}

/** Starts a long-running sigil command; resolves once stderr shows `ready`, rejects if it exits first. */
export function startSigilServer(
  args: string[],
  cwd: string,
  ready: string,
  env: Record<string, string> = {},
): Promise<ChildProcess> {
  const server = spawn(process.execPath, [SIGIL_BIN, ...args], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let seen = '';
    server.stderr?.on('data', (chunk) => {
      seen += chunk;
      if (seen.includes(ready)) resolve(server);
    });
    server.on('exit', (code) =>
      reject(new Error(`sigil ${args.slice(0, 2).join(' ')} exited ${code}: ${seen}`)),
    );
  });
}

/**
 * GET https://127.0.0.1:port/path trusting only `ca`; `servername` is the name the certificate must carry;
 * `headers` e.g. a bearer token.
 */
export function httpsGet(
  port: number,
  path: string,
  tls: { ca?: string; servername?: string; headers?: Record<string, string> },
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, ...tls }, (res) => {
      let text = '';
      res.on('data', (chunk) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    })
      .on('error', reject)
      .end();
  });
}
