/**
 * A real Kubernetes control plane on loopback for the webhook interop tests: etcd and kube-apiserver (the
 * pinned peers of test/peers/install.sh) with throw-away certificates, service-account keys, a static admin
 * token and RBAC, plus an admin kubeconfig that kubectl, helm and `sigil --kubeconfig` all read. No
 * controller-manager, scheduler or kubelet: objects are stored and admitted, pods stay Pending. Starting it
 * takes seconds, so a suite starts one and shares it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { httpsGet } from './admission-serve.js';
import { type CliResult, runProcess } from './cli.js';
import { freePort } from './ports.js';
import { selfSignedCertificate } from './tls.js';

export interface KubePeers {
  etcd: string;
  kubeApiserver: string;
  kubectl: string;
}

export interface KubeControlPlane {
  /** https://127.0.0.1:port */
  server: string;
  /** An admin kubeconfig (system:masters through a static token). */
  kubeconfig: string;
  /** The API server's serving certificate (self-signed, so also the CA to trust). */
  ca: string;
  token: string;
  /** The audit log (JSON lines): Metadata-level events for pods, where webhooks' audit annotations land. */
  auditLog: string;
  /** Service ClusterIPs are allocated from this loopback range, so a Service's ClusterIP is dialable here. */
  serviceCidr: string;
  /** Runs the pinned kubectl against this control plane. */
  kubectl(args: string[], input?: string): Promise<CliResult>;
  /** GET path on the API server as the admin (e.g. /metrics). */
  get(path: string): Promise<{ status: number; text: string }>;
  stop(): Promise<void>;
}

/** Starts a server process whose output is kept for the error message should it die before it is ready. */
function startProcess(path: string, args: string[]): { child: ChildProcess; output: () => string } {
  const child = spawn(path, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return { child, output: () => output };
}

/**
 * Polls `probe` until it is true; fails when the process exits first or after `limitMs` (a start-up
 * bound on a slow shared machine, not an assertion on speed).
 */
async function waitUntil(
  what: string,
  server: { child: ChildProcess; output: () => string },
  probe: () => Promise<boolean>,
  limitMs = 180_000,
): Promise<void> {
  const started = Date.now();
  while (Date.now() - started < limitMs) {
    if (server.child.exitCode !== null) {
      throw new Error(`${what} exited ${server.child.exitCode} before it was ready:\n${server.output()}`);
    }
    if (await probe().catch(() => false)) return;
    await sleep(250);
  }
  throw new Error(`${what} not ready after ${limitMs} ms:\n${server.output()}`);
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const forced = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(forced);
}

const AUDIT_POLICY = {
  apiVersion: 'audit.k8s.io/v1',
  kind: 'Policy',
  omitStages: ['RequestReceived'],
  rules: [{ level: 'Metadata', resources: [{ group: '', resources: ['pods'] }] }, { level: 'None' }],
};

export async function startKubeControlPlane(peers: KubePeers): Promise<KubeControlPlane> {
  const dir = await mkdtemp(join(tmpdir(), 'sigil-kube-'));
  const [clientPort, peerPort, securePort] = [await freePort(), await freePort(), await freePort()];
  const etcdUrl = `http://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const etcd = startProcess(peers.etcd, [
    '--name=sigil-test',
    `--data-dir=${join(dir, 'etcd')}`,
    `--listen-client-urls=${etcdUrl}`,
    `--advertise-client-urls=${etcdUrl}`,
    `--listen-peer-urls=${peerUrl}`,
    `--initial-advertise-peer-urls=${peerUrl}`,
    `--initial-cluster=sigil-test=${peerUrl}`,
    // A throw-away store: durability buys nothing here and fsyncs are slow on a shared disk.
    '--unsafe-no-fsync',
    '--log-level=error',
  ]);
  const stops: ChildProcess[] = [etcd.child];
  const stopAll = async () => {
    for (const child of stops.reverse()) await stopProcess(child);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitUntil('etcd', etcd, async () => {
      const res = await fetch(`${etcdUrl}/health`);
      return res.ok && ((await res.json()) as { health?: string }).health === 'true';
    });

    const serving = selfSignedCertificate();
    const serviceAccount = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const token = randomBytes(24).toString('hex');
    const file = async (name: string, text: string) => {
      const path = join(dir, name);
      await writeFile(path, text, { mode: 0o600 });
      return path;
    };
    // A /24 of its own inside 127/8 per control plane: ClusterIPs that reach servers bound on loopback.
    const serviceCidr = `127.${20 + (securePort % 200)}.${securePort % 250}.0/24`;
    const apiserver = startProcess(peers.kubeApiserver, [
      `--etcd-servers=${etcdUrl}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${securePort}`,
      `--cert-dir=${join(dir, 'apiserver-certs')}`,
      `--tls-cert-file=${await file('apiserver.crt', serving.cert)}`,
      `--tls-private-key-file=${await file('apiserver.key', serving.key)}`,
      `--token-auth-file=${await file('tokens.csv', `${token},admin,admin,"system:masters"\n`)}`,
      '--authorization-mode=RBAC',
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${await file('sa.pub', serviceAccount.publicKey.export({ type: 'spki', format: 'pem' }).toString())}`,
      `--service-account-signing-key-file=${await file('sa.key', serviceAccount.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString())}`,
      `--service-cluster-ip-range=${serviceCidr}`,
      `--audit-policy-file=${await file('audit-policy.json', JSON.stringify(AUDIT_POLICY))}`,
      `--audit-log-path=${join(dir, 'audit.log')}`,
      // Without a controller-manager no namespace gets its default ServiceAccount, which this plugin demands.
      '--disable-admission-plugins=ServiceAccount',
    ]);
    stops.push(apiserver.child);
    const server = `https://127.0.0.1:${securePort}`;
    const get = (path: string) =>
      httpsGet(securePort, path, { ca: serving.cert, headers: { authorization: `Bearer ${token}` } });
    await waitUntil('kube-apiserver', apiserver, async () => (await get('/readyz')).status === 200);

    const kubeconfig = await file(
      'kubeconfig',
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        'current-context': 'sigil-test',
        clusters: [
          {
            name: 'sigil-test',
            cluster: { server, 'certificate-authority-data': Buffer.from(serving.cert).toString('base64') },
          },
        ],
        users: [{ name: 'admin', user: { token } }],
        contexts: [{ name: 'sigil-test', context: { cluster: 'sigil-test', user: 'admin' } }],
      }),
    );
    return {
      server,
      kubeconfig,
      ca: serving.cert,
      token,
      auditLog: join(dir, 'audit.log'),
      serviceCidr,
      kubectl: (args, input) =>
        runProcess(peers.kubectl, ['--kubeconfig', kubeconfig, ...args], {
          ...(input === undefined ? {} : { input }),
          cwd: dir,
        }),
      get,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
