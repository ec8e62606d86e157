/**
 * The pods of deploy/helm/sigil-sigstore run as rendered, without a cluster: this test plays the kubelet.
 * Each container's command and args come from `helm template`; its volumes are directories under a temp
 * dir at the paths the manifests mount them (Secret files from `sigil ca init`, `sigil tlog init` and
 * `sigil tuf init` with the root key offline, the CA's ConfigMap as rendered), $(VAR) in args expanded
 * from the env the manifest gives. Only the listening address changes (loopback, a free port; the dev
 * issuer's Service URL, which it names and the CA config trusts, maps to its loopback port as DNS would).
 * Then the readiness probes' paths answer 200, a keyless signature timestamped by the TSA goes through the
 * dev issuer, the CA and the log (SQLite; then two log replicas on PostgreSQL by URL from a Secret, one
 * integrating, each serving; two CA replicas sharing their CT log on PostgreSQL), and a client initializes
 * from the TUF repository the seed unpacked.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { IContainer as Container } from 'kubernetes-models/v1/Container';
import { loadOrCreateTsaMaterial } from '../../src/tsa/index.js';
import { runProcess, SIGIL_BIN, sigil, workDir } from '../helpers/cli.js';
import { peerMissing } from '../helpers/peers.js';
import { freePort } from '../helpers/ports.js';
import { postgresBinDir, startPostgres } from '../helpers/postgres.js';
import { requestSigningCertificate } from '../helpers/signing-cert.js';
import { deploymentOf, helmPeer, type KubeObject, renderSigstore } from '../helpers/sigstore-chart.js';

const NAMESPACE = 'sigstore';
const postgresMissing = peerMissing('postgresql', postgresBinDir() !== undefined);

/** The data of the Secrets the release names, as `kubectl create secret generic --from-file` would hold it. */
type Secrets = Record<string, Record<string, string | Buffer>>;

interface RunningPod {
  /** The loopback URL of each container port, by port name. */
  urls: Record<string, string>;
  processes: ChildProcess[];
}

/** Polls a readiness probe's path until it answers 200 (a start-up bound, not an assertion on speed). */
async function ready(url: string, child: ChildProcess, output: () => string): Promise<void> {
  for (let i = 0; i < 240; i++) {
    if (child.exitCode !== null) throw new Error(`${url}: exited ${child.exitCode}:\n${output()}`);
    const status = await fetch(url).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return;
    await sleep(250);
  }
  throw new Error(`${url} not ready within a minute:\n${output()}`);
}

/** What the cluster's DNS would do: a Service URL of the rendered pods, and the loopback URL behind it. */
interface ServiceRoute {
  serviceUrl: string;
  port: number;
}

/**
 * Starts one component's pod from its rendered Deployment: volumes materialised under `root`, init
 * containers run to completion, then every container started and waited on until its readiness probe
 * answers. `rewrite` maps strings of the rendered pod (addresses, the Service URLs of `routes`) to their
 * loopback twins; a pod behind a route listens on the route's port.
 */
async function startPod(
  objects: KubeObject[],
  component: string,
  root: string,
  secrets: Secrets,
  envSecrets: Record<string, string>,
  routes: Record<string, ServiceRoute> = {},
): Promise<RunningPod> {
  const pod = deploymentOf(objects, component).spec?.template.spec;
  assert.ok(pod);
  // The working directory, also for a pod that mounts nothing (the dev issuer).
  await mkdir(root, { recursive: true });
  const ports = new Map<string, number>();
  const rewrites: [string, string][] = Object.values(routes).map((r) => [
    r.serviceUrl,
    `http://127.0.0.1:${r.port}`,
  ]);
  for (const container of pod.containers)
    for (const port of container.ports ?? []) {
      const free = routes[component]?.port ?? (await freePort());
      ports.set(port.name ?? '', free);
      rewrites.push([`0.0.0.0:${port.containerPort}`, `127.0.0.1:${free}`]);
    }
  const rewrite = (text: string) => rewrites.reduce((t, [from, to]) => t.replaceAll(from, to), text);

  const mounted = async (container: Container) => {
    // Longest first, so a mount nested in another (keys in the repository) is rewritten as itself.
    const mounts = [...(container.volumeMounts ?? [])].sort(
      (a, b) => b.mountPath.length - a.mountPath.length,
    );
    for (const mount of mounts) {
      const target = join(root, mount.mountPath);
      const volume = pod.volumes?.find((v) => v.name === mount.name);
      assert.ok(volume, mount.name);
      const files: Record<string, string | Buffer> = {};
      if (volume.secret) {
        const data = secrets[volume.secret.secretName ?? ''];
        assert.ok(data, `Secret ${volume.secret.secretName} given to the test`);
        const items = volume.secret.items ?? Object.keys(data).map((key) => ({ key, path: key }));
        for (const item of items) files[item.path] = data[item.key] as string | Buffer;
      } else if (volume.configMap) {
        const configMap = objects.find(
          (o) => o.kind === 'ConfigMap' && o.metadata.name === volume.configMap?.name,
        );
        for (const [key, text] of Object.entries(
          (configMap as { data?: Record<string, string> })?.data ?? {},
        ))
          files[key] = rewrite(text);
      }
      if (mount.subPath) {
        await mkdir(dirname(target), { recursive: true });
        await writeFile(target, files[mount.subPath] ?? assert.fail(`${mount.subPath} in ${mount.name}`), {
          mode: 0o440,
        });
      } else {
        await mkdir(target, { recursive: true });
        for (const [name, text] of Object.entries(files))
          await writeFile(join(target, name), text, { mode: 0o440 });
      }
    }
    // One pass over every mount path (longest first), so a rewritten path is never rewritten again.
    const literal = (path: string) => path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const paths = new RegExp(mounts.map((m) => literal(m.mountPath)).join('|'), 'g');
    return (arg: string) => rewrite(mounts.length > 0 ? arg.replace(paths, (path) => join(root, path)) : arg);
  };
  const env = (container: Container) => {
    const values: Record<string, string> = {};
    for (const variable of container.env ?? []) {
      const ref = variable.valueFrom?.secretKeyRef;
      values[variable.name] = ref ? (envSecrets[`${ref.name}:${ref.key}`] ?? '') : (variable.value ?? '');
    }
    return values;
  };
  // The kubelet's $(VAR) expansion of args.
  const expand = (arg: string, values: Record<string, string>) =>
    arg.replace(/\$\(([A-Z_][A-Z0-9_]*)\)/g, (_, name: string) => values[name] ?? `$(${name})`);
  const command = (container: Container, map: (arg: string) => string) => {
    const values = env(container);
    const [program, ...rest] = [...(container.command ?? []), ...(container.args ?? [])].map((a) =>
      expand(map(a), values),
    );
    return program === 'node' && rest[0] === 'bin/sigil.js'
      ? { program: process.execPath, args: [SIGIL_BIN, ...rest.slice(1)] }
      : { program: program as string, args: rest };
  };

  for (const init of pod.initContainers ?? []) {
    const run = command(init, await mounted(init));
    // No stdin (an init container that exits at once would break a pipe to it); the servers it prepares
    // for run in processes of their own, so a blocking run is fine.
    const result = spawnSync(run.program, run.args, {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
    });
    assert.equal(result.status, 0, `init container ${init.name}: ${result.stderr}`);
  }
  const running: RunningPod = { urls: {}, processes: [] };
  for (const container of pod.containers) {
    const run = command(container, await mounted(container));
    const child = spawn(run.program, run.args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    running.processes.push(child);
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const port = container.ports?.[0];
    const url = `http://127.0.0.1:${ports.get(port?.name ?? '')}`;
    running.urls[port?.name ?? ''] = url;
    const path = container.readinessProbe?.httpGet?.path;
    assert.ok(path, `${container.name} has a readiness probe`);
    // A pod that never gets ready is stopped here: the caller never sees it to stop it.
    await ready(`${url}${path}`, child, () => output).catch(async (err) => {
      await stopAll([running]);
      throw err;
    });
  }
  return running;
}

/** A token for `email` from the dev issuer pod, as a CI job or a person gets one. */
async function emailToken(oidc: RunningPod, email: string, cwd: string): Promise<string> {
  const issuerUrl = oidc.urls.http as string;
  const token = await sigil(
    ['oidc', 'token', '--issuer-url', issuerUrl, '--kind', 'email', '--email', email],
    {
      cwd,
    },
  );
  assert.equal(token.code, 0, token.stderr);
  return token.stdout.trim();
}

async function stopAll(pods: RunningPod[]): Promise<void> {
  for (const child of pods.flatMap((p) => p.processes)) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
}

/** Every file of a directory as Secret data. */
async function secretFrom(dir: string): Promise<Record<string, string>> {
  const data: Record<string, string> = {};
  for (const name of await readdir(dir)) data[name] = await readFile(join(dir, name), 'utf8');
  return data;
}

describe('the pods of deploy/helm/sigil-sigstore, run as rendered', { skip: helmPeer.skip }, () => {
  let dir: string;
  let secrets: Secrets;
  const pods: RunningPod[] = [];

  before(async () => {
    dir = await workDir();
    const made = join(dir, 'offline');
    for (const args of [
      ['ca', 'init', '--data-dir', join(made, 'ca')],
      ['tlog', 'init', '--data-dir', join(made, 'tlog')],
      ['tuf', 'generate-key', join(made, 'root.pem')],
    ]) {
      const result = await sigil(args, { cwd: dir });
      assert.equal(result.code, 0, result.stderr);
    }
    // What `sigil tsa serve --data-dir` makes on first start: chain.pem and key.pem.
    await loadOrCreateTsaMaterial(join(made, 'tsa'));
    await writeFile(join(made, 'trusted_root.json'), '{"mediaType":"placeholder"}\n');
    const tuf = join(made, 'tuf');
    const init = await sigil(
      [
        'tuf',
        'init',
        '--repo-dir',
        tuf,
        '--root-key',
        join(made, 'root.pem'),
        '--target',
        join(made, 'trusted_root.json'),
      ],
      { cwd: dir },
    );
    assert.equal(init.code, 0, init.stderr);
    const tar = await runProcess('tar', [
      '-czf',
      join(made, 'repository.tar.gz'),
      '-C',
      tuf,
      '--exclude=./keys',
      '.',
    ]);
    assert.equal(tar.code, 0, tar.stderr);
    secrets = {
      'sigil-ca': await secretFrom(join(made, 'ca')),
      'sigil-tsa': await secretFrom(join(made, 'tsa')),
      'tlog-key': { 'log-key.pem': await readFile(join(made, 'tlog', 'log-key.pem'), 'utf8') },
      'sigil-tuf': await secretFrom(join(tuf, 'keys')),
      'tuf-seed': { 'repository.tar.gz': await readFile(join(made, 'repository.tar.gz')) },
    };
    assert.equal(secrets['sigil-tuf']?.['root.pem'], undefined, 'the root key stayed offline');
  });

  after(async () => {
    await stopAll(pods);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('log (SQLite), dev issuer, CA, TSA and TUF start ready; a keyless, timestamped signature is logged; a client initializes', async () => {
    const objects = renderSigstore(NAMESPACE, [
      ...['--set', 'ca.existingSecret=sigil-ca', '--set', 'tuf.keys.existingSecret=sigil-tuf'],
      ...['--set', 'tuf.seed.existingSecret=tuf-seed', '--set', 'tlog.key.existingSecret=tlog-key'],
      ...['--set', 'oidc.enabled=true', '--set', 'tsa.enabled=true', '--set', 'tsa.existingSecret=sigil-tsa'],
    ]);
    // The issuer names its Service URL; the CA reaches it there (here: on the loopback port behind it).
    const routes = {
      oidc: { serviceUrl: `http://sigil-sigil-sigstore-oidc.${NAMESPACE}.svc`, port: await freePort() },
    };
    const tlog = await startPod(objects, 'tlog', join(dir, 'tlog'), secrets, {});
    pods.push(tlog);
    const oidc = await startPod(objects, 'oidc', join(dir, 'oidc'), secrets, {}, routes);
    pods.push(oidc);
    const ca = await startPod(objects, 'ca', join(dir, 'ca'), secrets, {}, routes);
    pods.push(ca);
    const tsa = await startPod(objects, 'tsa', join(dir, 'tsa'), secrets, {});
    pods.push(tsa);
    const tuf = await startPod(objects, 'tuf', join(dir, 'tuf'), secrets, {});
    pods.push(tuf);
    const served = await fetch(`${tsa.urls.http}/api/v1/timestamp/certchain`).then((r) => r.text());
    assert.equal(served, secrets['sigil-tsa']?.['chain.pem'], 'the TSA serves the chain of its Secret');

    const token = await emailToken(oidc, 'dev@example.com', dir);
    const artifact = join(dir, 'artifact.txt');
    await writeFile(artifact, 'chart\n');
    const signed = await sigil(
      [
        'sign-blob',
        '--yes',
        '--identity-token',
        token,
        '--fulcio-url',
        ca.urls.http as string,
        '--rekor-url',
        tlog.urls.http as string,
        '--timestamp-server-url',
        `${tsa.urls.http}/api/v1/timestamp`,
        '--bundle',
        join(dir, 'artifact.sigstore.json'),
        artifact,
      ],
      { cwd: dir },
    );
    assert.equal(signed.code, 0, signed.stderr);
    const bundle = JSON.parse(await readFile(join(dir, 'artifact.sigstore.json'), 'utf8'));
    assert.equal(bundle.verificationMaterial.tlogEntries.length, 1);
    assert.equal(bundle.verificationMaterial.timestampVerificationData?.rfc3161Timestamps?.length, 1);
    const entry = await sigil(['tlog', 'get', '--rekor-url', tlog.urls.http as string, '--log-index', '0'], {
      cwd: dir,
    });
    assert.equal(entry.code, 0, entry.stderr);

    // A client trusts the offline root and reads the target the seeded repository publishes.
    const initialized = await sigil(
      [
        'initialize',
        '--mirror',
        tuf.urls.http as string,
        '--root',
        join(dir, 'offline', 'tuf', 'repository', 'root.json'),
      ],
      { cwd: dir },
    );
    assert.equal(initialized.code, 0, initialized.stderr);
  });

  it('the seed init container leaves a repository already on the volume as it is (no rollback)', async () => {
    const objects = renderSigstore(NAMESPACE, [
      ...['--set', 'ca.existingSecret=sigil-ca', '--set', 'tuf.keys.existingSecret=sigil-tuf'],
      ...['--set', 'tuf.seed.existingSecret=tuf-seed'],
    ]);
    const root = join(dir, 'tuf-again');
    const timestamp = join(root, 'var', 'lib', 'sigil', 'tuf', 'repository', 'timestamp.json');
    pods.push(await startPod(objects, 'tuf', root, secrets, {}));
    await stopAll(pods.splice(-1));
    await writeFile(timestamp, '{"a newer version":true}');
    // The same pod again: its init container must not unpack the older seed over the volume.
    const again = await startPod(objects, 'tuf', root, secrets, {}).catch((err: Error) => err);
    // The server itself may refuse the hand-written timestamp; the init container must have run clean.
    if (again instanceof Error) assert.doesNotMatch(again.message, /init container/);
    else pods.push(again);
    assert.equal(await readFile(timestamp, 'utf8'), '{"a newer version":true}');
  });

  it('2 CA replicas with their CT log on PostgreSQL by a URL from a Secret: both ready, each issues, one CT tree', {
    skip: postgresMissing,
  }, async () => {
    const postgres = await startPostgres();
    try {
      const objects = renderSigstore(NAMESPACE, [
        ...['--set', 'tlog.enabled=false', '--set', 'tuf.enabled=false', '--set', 'oidc.enabled=true'],
        ...['--set', 'ca.existingSecret=sigil-ca', '--set', 'ca.replicaCount=2'],
        ...['--set', 'ca.ctLog.database.existingSecret=ct-db'],
      ]);
      const routes = {
        oidc: { serviceUrl: `http://sigil-sigil-sigstore-oidc.${NAMESPACE}.svc`, port: await freePort() },
      };
      const oidc = await startPod(objects, 'oidc', join(dir, 'oidc-ct'), secrets, {}, routes);
      pods.push(oidc);
      const replicas: RunningPod[] = [];
      for (const name of ['ca-pg-a', 'ca-pg-b']) {
        const replica = await startPod(
          objects,
          'ca',
          join(dir, name),
          secrets,
          { 'ct-db:url': postgres.url },
          routes,
        );
        pods.push(replica);
        replicas.push(replica);
      }
      const token = await emailToken(oidc, 'ops@example.com', dir);
      for (const replica of replicas) {
        const issued = await requestSigningCertificate(replica.urls.http as string, token, 'ops@example.com');
        assert.equal(issued.status, 200, await issued.text());
      }
      const heads = await Promise.all(
        replicas.map(
          async (r) =>
            (await fetch(`${r.urls.http}/ct/v1/get-sth`)).json() as Promise<{
              tree_size: number;
              sha256_root_hash: string;
            }>,
        ),
      );
      assert.equal(heads[0]?.tree_size, 2, 'both certificates in the one CT log');
      assert.equal(heads[1]?.sha256_root_hash, heads[0]?.sha256_root_hash);
      await stopAll(pods.splice(-3));
    } finally {
      await postgres.stop();
    }
  });

  it('2 log replicas on PostgreSQL by a URL from a Secret ($(SIGIL_DATABASE_URL)): both ready, one integrates, an entry sent to one is read from the other', {
    skip: postgresMissing,
  }, async () => {
    const postgres = await startPostgres();
    try {
      const objects = renderSigstore(NAMESPACE, [
        ...['--set', 'ca.enabled=false', '--set', 'tuf.enabled=false', '--set', 'tlog.replicaCount=2'],
        ...['--set', 'tlog.database.existingSecret=tlog-db', '--set', 'tlog.key.existingSecret=tlog-key'],
      ]);
      assert.equal(deploymentOf(objects, 'tlog').spec?.replicas, 2);
      // Two pods of the one Deployment: same args (key, --hostname), each its own emptyDir.
      const replicas: RunningPod[] = [];
      for (const name of ['tlog-pg-a', 'tlog-pg-b']) {
        const replica = await startPod(objects, 'tlog', join(dir, name), secrets, {
          'tlog-db:url': postgres.url,
        });
        pods.push(replica);
        replicas.push(replica);
      }
      const [pod, other] = replicas as [RunningPod, RunningPod];
      const health = async (replica: RunningPod) =>
        (await fetch(`${replica.urls.http}/healthz`).then((r) => r.json())) as {
          status: string;
          integrating: boolean;
        };
      // Both answer ready whichever holds the lease; exactly one takes it (a start-up bound, not a timing).
      let states = await Promise.all(replicas.map(health));
      for (let i = 0; i < 240 && states.filter((h) => h.integrating).length !== 1; i++) {
        await sleep(250);
        states = await Promise.all(replicas.map(health));
      }
      assert.deepEqual(states.map((h) => h.integrating).sort(), [false, true], 'one integrator');
      assert.ok(states.every((h) => h.status === 'ok'));
      const key = join(dir, 'cosign');
      const made = await sigil(['generate-key-pair', '--output-key-prefix', key], {
        cwd: dir,
        env: { COSIGN_PASSWORD: '' },
      });
      assert.equal(made.code, 0, made.stderr);
      const artifact = join(dir, 'artifact-pg.txt');
      await writeFile(artifact, 'postgres\n');
      const signed = await sigil(
        ['sign-blob', '--yes', '--key', `${key}.key`, '--rekor-url', pod.urls.http as string, artifact],
        { cwd: dir, env: { COSIGN_PASSWORD: '' } },
      );
      assert.equal(signed.code, 0, signed.stderr);
      const entry = await sigil(
        ['tlog', 'get', '--rekor-url', other.urls.http as string, '--log-index', '0'],
        {
          cwd: dir,
        },
      );
      assert.equal(entry.code, 0, entry.stderr);
      await stopAll(pods.splice(-2));
    } finally {
      await postgres.stop();
    }
  });
});
