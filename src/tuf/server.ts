/**
 * Serves a TUF repository's published tree over HTTP, as a CDN would serve the same files, and keeps it
 * fresh: the online roles are re-signed on a timer (and at start), so a long-running server never lets its
 * timestamp expire. Only names of the repository layout are served; anything else is a 404, so no path
 * reaches outside the published directory, nor a key or a half-written temporary file.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import { exposition, SigilError } from '../core/index.js';
import { createTufMetrics } from './metrics.js';
import { type RefreshReport, TufRepository } from './repository.js';

const PUBLISHED =
  /^\/(?:(\d+\.(?:root|snapshot|targets)\.json|root\.json|timestamp\.json)|targets\/([0-9a-f]{64}\.[A-Za-z0-9][A-Za-z0-9._-]*))$/;
const HOUR_MS = 3_600_000;

export interface TufServerOptions {
  dir: string;
  host: string;
  port: number;
  /** How often the online roles are checked for re-signing (default hourly). */
  refreshIntervalMs?: number;
  /** Told of every refresh that signed something, or that failed (the server keeps serving). */
  onRefresh?: (report: RefreshReport | Error) => void;
}

export interface RunningTufServer {
  url: string;
  close(): Promise<void>;
}

export async function startTufServer(options: TufServerOptions): Promise<RunningTufServer> {
  const published = join(options.dir, 'repository');
  const metrics = createTufMetrics(options.dir);
  const refresh = async () => {
    try {
      const report = await TufRepository.open(options.dir).refresh();
      metrics.refreshes.inc({ result: 'ok' });
      if (report.resigned.length > 0 || report.rootExpires) options.onRefresh?.(report);
    } catch (err) {
      metrics.refreshes.inc({ result: 'error' });
      options.onRefresh?.(err as Error);
    }
  };
  await refresh();
  const timer = setInterval(() => void refresh(), options.refreshIntervalMs ?? HOUR_MS);
  timer.unref();

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method === 'GET' && serveOperational(path, metrics.registry, res)) return;
    const match = PUBLISHED.exec(path);
    if ((req.method !== 'GET' && req.method !== 'HEAD') || !match) {
      res.writeHead(req.method === 'GET' || req.method === 'HEAD' ? 404 : 405).end();
      return;
    }
    readFile(join(published, path.slice(1))).then(
      (bytes) => {
        // Versioned and hash-named files never change; root.json and timestamp.json do, at any moment.
        const mutable = match[1] === 'root.json' || match[1] === 'timestamp.json';
        res.writeHead(200, {
          'content-type': match[2] ? 'application/octet-stream' : 'application/json',
          'content-length': bytes.length,
          'cache-control': mutable ? 'no-cache' : 'public, max-age=31536000, immutable',
        });
        res.end(req.method === 'HEAD' ? undefined : bytes);
      },
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(
        new SigilError(
          'IO_ERROR',
          `TUF server: cannot listen on ${options.host}:${options.port}: ${err.message}`,
        ),
      ),
    );
    server.listen(options.port, options.host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}`,
    close: async () => {
      clearInterval(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** `/healthz` (liveness) and `/metrics` (Prometheus); true when `path` was one of them. */
function serveOperational(path: string, registry: Registry, res: ServerResponse): boolean {
  if (path === '/healthz') {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    return true;
  }
  if (path !== '/metrics') return false;
  exposition(registry).then(
    ({ contentType, body }) => res.writeHead(200, { 'content-type': contentType }).end(body),
    // The repository could not be read: say so to the scraper, which records the target as failing.
    (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err.message}\n`),
  );
  return true;
}
