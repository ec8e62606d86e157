/**
 * sigil against the real cosign (v3 and v2, from test/peers/install.sh), as whole processes, the way a CI
 * step runs them: the same image on the same loopback registry with the same key, and the same blob and
 * bundle. Prints each command's p50/p99 wall time and sigil's speed relative to each cosign
 * (ratio > 1: sigil is faster).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseReference, pushTestImage, RegistryClient, startRegistry } from '../src/oci/index.js';
import { startStack } from '../src/server/index.js';
import { runProcess, SIGIL_BIN } from '../test/helpers/cli.js';
import { dockerRegistryInstalled, startDockerRegistry } from '../test/helpers/docker-registry.js';
import { peerBinary } from '../test/helpers/peers.js';
import { formatTiming, measure, type Timing } from './stats.js';

// BENCH_PEERS_ROUNDS shortens a trial run; the published figures use the default.
const ROUNDS = Number(process.env.BENCH_PEERS_ROUNDS ?? 20);

interface Tool {
  name: string;
  command: string[];
}

export async function benchPeersCosign(): Promise<void> {
  const tools: Tool[] = [{ name: 'sigil', command: [process.execPath, SIGIL_BIN] }];
  for (const peer of ['cosign-v3', 'cosign-v2']) {
    const path = peerBinary(peer, 'cosign');
    if (path) tools.push({ name: peer, command: [path] });
    else
      console.log(`(${peer} is not installed — bash test/peers/install.sh ${peer}: its column is skipped)`);
  }
  const dir = await mkdtemp(join(tmpdir(), 'sigil-bench-peers-'));
  const env = { PATH: process.env.PATH ?? '', HOME: dir, COSIGN_PASSWORD: '' };
  try {
    await run([process.execPath, SIGIL_BIN, 'generate-key-pair'], dir, env);
    await benchImageVerify(tools, dir, env);
    await benchBlobVerify(tools, dir, env);
    await benchKeylessVerify(tools, dir, env);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function benchImageVerify(tools: Tool[], dir: string, env: Record<string, string>): Promise<void> {
  const registries: [string, () => Promise<{ address: string; close(): Promise<void> }>][] = [
    ['embedded', () => startRegistry({ host: '127.0.0.1', port: 0, dataDir: join(dir, 'registry') })],
  ];
  if (dockerRegistryInstalled()) registries.push(['distribution 2.8', startDockerRegistry]);
  for (const [registryName, start] of registries) {
    const registry = await start();
    try {
      const image = parseReference(`${registry.address}/bench/app:v1`);
      const digest = await pushTestImage(new RegistryClient({}), image, { files: { 'a.txt': 'app\n' } });
      const reference = `${registry.address}/bench/app@${digest}`;
      await run(
        [process.execPath, SIGIL_BIN, 'sign', '--key', 'cosign.key', '--tlog-upload=false', reference],
        dir,
        env,
      );
      console.log(
        `\n# verify --key, one signature, ${registryName} registry on loopback, --insecure-ignore-tlog`,
      );
      await compare(tools, ['verify', '--key', 'cosign.pub', '--insecure-ignore-tlog', reference], dir, env);
    } finally {
      await registry.close();
    }
  }
}

async function benchBlobVerify(tools: Tool[], dir: string, env: Record<string, string>): Promise<void> {
  await writeFile(join(dir, 'artifact.bin'), Buffer.alloc(1024 * 1024, 7));
  await run(
    [
      process.execPath,
      SIGIL_BIN,
      'sign-blob',
      '--key',
      'cosign.key',
      '--tlog-upload=false',
      '--bundle',
      'a.sigstore.json',
      'artifact.bin',
    ],
    dir,
    env,
  );
  // cosign v2 reads a Sigstore bundle only with a trusted root (else it asks TUF): an empty one, given to all.
  await writeFile(
    join(dir, 'empty_root.json'),
    JSON.stringify({ mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1' }),
  );
  console.log(
    '\n# verify-blob --key with a Sigstore bundle (1 MiB file), --insecure-ignore-tlog, empty trusted root',
  );
  const args = [
    'verify-blob',
    '--key',
    'cosign.pub',
    '--bundle',
    'a.sigstore.json',
    '--insecure-ignore-tlog',
    '--trusted-root',
    'empty_root.json',
    'artifact.bin',
  ];
  await compare(tools, args, dir, env);
}

/**
 * Keyless: an image sigil signed against its private Sigstore (`sigil serve`: CA, log, TSA, dev OIDC
 * issuer, registry), verified by identity under the stack's trusted root. cosign v2 has no --trusted-root
 * (it reads SIGSTORE_* variables), so only cosign v3 takes part.
 */
async function benchKeylessVerify(tools: Tool[], dir: string, env: Record<string, string>): Promise<void> {
  const stack = await startStack({ dataDir: join(dir, 'stack'), host: '127.0.0.1' });
  try {
    const image = parseReference(`${stack.registryAddress}/org/app:v1`);
    const digest = await pushTestImage(new RegistryClient({}), image, { files: { 'a.txt': 'keyless\n' } });
    const reference = `${stack.registryAddress}/org/app@${digest}`;
    const token = await stack.mintToken({ kind: 'github-actions', repository: 'org/app' });
    const signing = ['--signing-config', stack.signingConfigPath];
    await run(
      [process.execPath, SIGIL_BIN, 'sign', '--yes', '--identity-token', token, ...signing, reference],
      dir,
      env,
    );
    console.log('\n# keyless verify: an image signed on sigil serve (Fulcio, Rekor v1, TSA), by identity');
    const args = [
      'verify',
      '--trusted-root',
      stack.trustedRootPath,
      '--certificate-identity',
      'https://github.com/org/app/.github/workflows/release.yml@refs/heads/main',
      '--certificate-oidc-issuer',
      stack.issuers['github-actions'],
      reference,
    ];
    await compare(
      tools.filter((tool) => tool.name !== 'cosign-v2'),
      args,
      dir,
      env,
    );
  } finally {
    await stack.close();
  }
}

/** Each tool runs the same arguments ROUNDS times in sequence; sigil's ratio against each peer follows. */
async function compare(
  tools: Tool[],
  args: string[],
  dir: string,
  env: Record<string, string>,
): Promise<void> {
  const timings = new Map<string, Timing>();
  for (const tool of tools) {
    const command = [...tool.command, ...args];
    await run(command, dir, env); // warm the file cache; a failure here names the command
    const timing = await measure(ROUNDS, () => run(command, dir, env));
    timings.set(tool.name, timing);
    console.log(formatTiming(`${tool.name} ${args[0]}`, timing));
  }
  const sigil = timings.get('sigil');
  for (const [name, timing] of timings) {
    if (name === 'sigil' || !sigil) continue;
    console.log(
      `  sigil / ${name}: ${(timing.p50ms / sigil.p50ms).toFixed(2)}x the speed at p50 (> 1: sigil is faster)`,
    );
  }
}

/** Runs one command to the end; a non-zero exit fails the benchmark, naming the command. */
export async function run(command: string[], cwd: string, env: Record<string, string>): Promise<void> {
  const [file, ...args] = command as [string, ...string[]];
  const result = await runProcess(file, args, { cwd, env });
  if (result.code !== 0) {
    throw new Error(`${command.join(' ')} exited ${result.code}: ${result.stderr.slice(-500)}`);
  }
}
