/**
 * An HTTPS load generator on its own thread, so that in the admission benchmark the clients' TLS and HTTP
 * work does not share the server's event loop (an API server calling a webhook is another process). The
 * thread posts the same Timing `measure` gives.
 */
import { Agent, request } from 'node:https';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { measure, type Timing } from './stats.js';

interface LoadSpec {
  port: number;
  path: string;
  body: string;
  ca: string;
  count: number;
  concurrency: number;
}

/** Sends `count` POSTs of `body`, `concurrency` at a time over keep-alive connections, from another thread. */
export function loadFromThread(spec: LoadSpec): Promise<Timing> {
  return new Promise((resolve, reject) => {
    // Node 20 loads a worker's entry file before any --import hook runs, so the thread registers tsx itself.
    const entry = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(import.meta.url)}); })`;
    const worker = new Worker(entry, { eval: true, workerData: spec });
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

async function runLoad(spec: LoadSpec): Promise<Timing> {
  const agent = new Agent({ keepAlive: true, maxSockets: spec.concurrency, ca: spec.ca });
  const post = () =>
    new Promise<void>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: spec.port,
          method: 'POST',
          path: spec.path,
          agent,
          headers: { 'content-type': 'application/json' },
        },
        (res) => {
          res.resume();
          res.on('end', () =>
            res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`)),
          );
        },
      );
      req.on('error', reject);
      req.end(spec.body);
    });
  try {
    return await measure(spec.count, post, spec.concurrency);
  } finally {
    agent.destroy();
  }
}

if (!isMainThread) {
  parentPort?.postMessage(await runLoad(workerData as LoadSpec));
}
