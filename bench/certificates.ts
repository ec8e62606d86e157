/**
 * Certificates issued per second by a running CA over its HTTP API (token check, proof of possession, a
 * precertificate logged for its SCT, the final certificate), printed next to the raw-crypto floor: the
 * signature operations Fulcio cannot avoid per certificate, timed in the same run on the same kinds of key.
 */
import {
  createPublicKey,
  generateKeyPairSync,
  type JsonWebKey,
  type KeyObject,
  sign,
  verify,
} from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { formatTiming, measure, summarize, type Timing } from './stats.js';

export interface CertificateBenchOptions {
  /** The CA's base URL, or those of several replicas (requests go round-robin). */
  caUrl: string | readonly string[];
  /** A fresh identity token for each request. */
  mint: () => Promise<string>;
  count?: number;
  clients?: number;
  /** `v2` (`/api/v2/signingCert`, JSON) or `v1` (the legacy route cosign v2 calls). */
  api?: 'v1' | 'v2';
  /**
   * Run the clients on the CA's own event loop, as the first version of this benchmark did; by default
   * they run on a thread of their own, as separate clients would, so their HTTP work is not the CA's.
   */
  clientsInProcess?: boolean;
}

interface PreparedRequest {
  body: string;
  headers: Record<string, string>;
}

async function inProcessClients(
  urls: string[],
  warmUp: PreparedRequest[],
  requests: PreparedRequest[],
  clients: number,
): Promise<Timing> {
  let sent = 0;
  const issue = async ({ body, headers }: PreparedRequest) => {
    const url = urls[sent++ % urls.length] as string;
    const response = await fetch(url, { method: 'POST', headers, body });
    if (!response.ok) throw new Error(`CA answered ${response.status}: ${await response.text()}`);
    await response.arrayBuffer();
  };
  await measure(warmUp.length, (i) => issue(warmUp[i] as PreparedRequest), clients);
  return measure(requests.length, (i) => issue(requests[i] as PreparedRequest), clients);
}

/** The same requests from `clients` concurrent loops on a worker thread, which reports each latency. */
const CLIENT_THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
const { urls, warmUp, requests, clients } = workerData;
async function run(list) {
  const latencies = [];
  let next = 0;
  const loop = async () => {
    while (next < list.length) {
      const url = urls[next % urls.length];
      const { body, headers } = list[next++];
      const t0 = performance.now();
      const response = await fetch(url, { method: 'POST', headers, body });
      if (!response.ok) throw new Error('CA answered ' + response.status + ': ' + (await response.text()));
      await response.arrayBuffer();
      latencies.push(performance.now() - t0);
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: clients }, loop));
  return { latencies, seconds: (performance.now() - start) / 1000 };
}
run(warmUp)
  .then(() => run(requests))
  .then((result) => parentPort.postMessage(result), (err) => parentPort.postMessage({ error: String(err) }));
`;

async function clientThread(
  urls: string[],
  warmUp: PreparedRequest[],
  requests: PreparedRequest[],
  clients: number,
): Promise<Timing> {
  const worker = new Worker(CLIENT_THREAD, { eval: true, workerData: { urls, warmUp, requests, clients } });
  try {
    const result = (await new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    })) as { latencies: number[]; seconds: number } | { error: string };
    if ('error' in result) throw new Error(result.error);
    return summarize(result.latencies, result.seconds);
  } finally {
    await worker.terminate();
  }
}

/** Rounds of requests (one per client) the CA answers before the timing starts: its JIT warms up. */
const WARM_UP_ROUNDS = 4;

export async function benchCertificates(options: CertificateBenchOptions): Promise<Timing> {
  const { caUrl, mint, count = 500, clients = 16, api = 'v2' } = options;
  // Requests are prepared first (tokens, keys, proofs), so the timing is the CA's work over HTTP.
  // `count` requests are timed, after a warm-up of a few rounds of `clients` requests that is not.
  const requests: PreparedRequest[] = [];
  const tokens: string[] = [];
  const warmUpCount = WARM_UP_ROUNDS * clients;
  for (let i = 0; i < warmUpCount + count; i++) {
    const token = await mint();
    tokens.push(token);
    requests.push(certificateRequest(api, token));
  }
  const route = api === 'v2' ? '/api/v2/signingCert' : '/api/v1/signingCert';
  const urls = [caUrl].flat().map((base) => `${base}${route}`);
  const warmUp = requests.splice(0, warmUpCount);
  tokens.splice(0, warmUpCount);
  const cpuBefore = process.cpuUsage();
  const timing = options.clientsInProcess
    ? await inProcessClients(urls, warmUp, requests, clients)
    : await clientThread(urls, warmUp, requests, clients);
  const cpu = process.cpuUsage(cpuBefore);
  const floor = await cryptoFloor(count, tokens);
  const where = options.clientsInProcess ? 'on the CA thread' : 'on their own thread';
  const replicas = urls.length > 1 ? `, ${urls.length} CA replicas` : '';
  console.log(
    formatTiming(`certificates with SCT (${api}, HTTP, ${clients} clients ${where}${replicas})`, timing),
  );
  console.log(formatTiming('raw-crypto floor (3 ECDSA signs, 2 verifies)', floor));
  console.log(`ratio CA/floor (${api}): ${(timing.perSecond / floor.perSecond).toFixed(3)}x`);
  // CPU time is steadier than wall time on a shared machine; it includes the clients' side of HTTP.
  const cpuMs = (cpu.user + cpu.system) / 1000 / timing.count;
  console.log(`CPU per certificate (CA and clients, all threads): ${cpuMs.toFixed(2)} ms`);
  return timing;
}

function certificateRequest(api: 'v1' | 'v2', token: string): PreparedRequest {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const proof = sign('sha256', Buffer.from(String(decodeJwt(token).sub)), privateKey).toString('base64');
  if (api === 'v1') {
    const der = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    return {
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ publicKey: { algorithm: 'ecdsa', content: der }, signedEmailAddress: proof }),
    };
  }
  return {
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      credentials: { oidcIdentityToken: token },
      publicKeyRequest: {
        publicKey: { algorithm: 'ECDSA', content: publicKey.export({ type: 'spki', format: 'pem' }) },
        proofOfPossession: proof,
      },
    }),
  };
}

/**
 * Per certificate: the precertificate's and the final certificate's signatures and the SCT (ECDSA P-256
 * signs), the token's signature and the proof of possession (verifies), on keys of the kinds the CA uses.
 */
async function cryptoFloor(count: number, tokens: string[]): Promise<Timing> {
  const caKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const ctKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const subject = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const tbs = Buffer.alloc(700, 1);
  const challenge = Buffer.from('https://github.com/org/app/.github/workflows/ci.yml@refs/heads/main');
  const proof = sign('sha256', challenge, subject.privateKey);
  const token = tokens[0] as string;
  const tokenKey = await tokenVerifyKey(token);
  const jwt = token.split('.');
  const signingInput = Buffer.from(`${jwt[0]}.${jwt[1]}`);
  const jwtSignature = Buffer.from(jwt[2] ?? '', 'base64url');
  return measure(count, () => {
    sign('sha256', tbs, caKey);
    sign('sha256', tbs, caKey);
    sign('sha256', tbs, ctKey);
    if (!verify('sha256', signingInput, tokenKey, jwtSignature)) throw new Error('floor: token signature');
    if (!verify('sha256', challenge, subject.publicKey, proof)) throw new Error('floor: proof');
  });
}

/** The key that signed `token`, found as the CA finds it: the issuer's discovery document, then its JWKS. */
async function tokenVerifyKey(token: string): Promise<KeyObject> {
  const issuer = String(decodeJwt(token).iss).replace(/\/$/, '');
  const discovery = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as {
    jwks_uri: string;
  };
  const { keys } = (await (await fetch(discovery.jwks_uri)).json()) as { keys: Array<{ kid?: string }> };
  const { kid } = decodeProtectedHeader(token);
  const jwk = keys.find((key) => key.kid === kid);
  if (!jwk) throw new Error(`floor: the issuer's JWKS has no key ${kid}`);
  return createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
}

/** `npm run bench -- certificates`: the CA of a fresh local stack, on the v2 route and on the legacy one. */
export async function benchCertificatesOnStack(): Promise<void> {
  const { mkdtemp } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { startStack } = await import('../src/server/index.js');
  const stack = await startStack({
    dataDir: await mkdtemp(join(tmpdir(), 'sigil-bench-certificates-')),
    host: '127.0.0.1',
  });
  try {
    console.log("\n# certificates from the local stack's CA (embedded CT log on SQLite)");
    const count = Number(process.env.SIGIL_BENCH_CERTIFICATES ?? 500);
    const mint = () => stack.mintToken({ kind: 'github-actions', repository: 'org/app' });
    await benchCertificates({ caUrl: stack.urls.ca, mint, count, api: 'v2' });
    await benchCertificates({ caUrl: stack.urls.ca, mint, count, api: 'v1' });
    await benchCertificates({ caUrl: stack.urls.ca, mint, count, api: 'v2', clientsInProcess: true });
  } finally {
    await stack.close();
  }
}
