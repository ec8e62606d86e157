/** `sigil admission serve` as an operator runs it, and the HTTPS GETs that probe it (as kubelet and the API server do). */
import { type ChildProcess, spawn } from 'node:child_process';
import { request } from 'node:https';
import { SIGIL_BIN } from './cli.js';

/** Starts the built binary with these flags; resolves once it listens, rejects if it exits first. */
export function startAdmissionServe(args: string[], cwd: string): Promise<ChildProcess> {
  const server = spawn(process.execPath, [SIGIL_BIN, 'admission', 'serve', ...args], {
    cwd,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let seen = '';
    server.stderr?.on('data', (chunk) => {
      seen += chunk;
      if (seen.includes('admission webhook on')) resolve(server);
    });
    server.on('exit', (code) => reject(new Error(`admission serve exited ${code}: ${seen}`)));
  });
}

/** GET https://127.0.0.1:port/path trusting only `ca`; `servername` is the name the certificate must carry. */
export function httpsGet(
  port: number,
  path: string,
  tls: { ca?: string; servername?: string },
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
