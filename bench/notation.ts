/**
 * Notation verification: `sigil notation verify` against the real `notation verify` as whole processes on
 * the same signed image, configuration and registry (ratio > 1: sigil is faster); then in-process
 * verifications per second, from the registry (resolve, list referrers, fetch, verify) and of the fetched
 * envelope alone, beside their floor: the RSASSA-PSS verification of the signature by itself.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  artifactSignatures,
  fetchSignatures,
  loadTrustPolicy,
  loadTrustStore,
  type NotationVerifyOptions,
  parseEnvelope,
  verifyNotationSignatures,
  verifyReference,
  verifyWith,
} from '../src/notation/index.js';
import { parseReference, pushTestImage, RegistryClient, startRegistry } from '../src/oci/index.js';
import { SIGIL_BIN } from '../test/helpers/cli.js';
import { dockerRegistryInstalled, startDockerRegistry } from '../test/helpers/docker-registry.js';
import { peerBinary } from '../test/helpers/peers.js';
import { run } from './peers-cosign.js';
import { formatTiming, measure, type Timing } from './stats.js';

const ROUNDS = Number(process.env.BENCH_PEERS_ROUNDS ?? 20);
const IN_PROCESS = 500;

export async function benchNotation(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'sigil-bench-notation-'));
  const configHome = join(dir, 'config');
  const configDir = join(configHome, 'notation');
  await mkdir(configDir, { recursive: true });
  const env = { PATH: process.env.PATH ?? '', HOME: dir, XDG_CONFIG_HOME: configHome };
  const peer = dockerRegistryInstalled();
  const registry = peer
    ? await startDockerRegistry()
    : await startRegistry({ host: '127.0.0.1', port: 0, dataDir: join(dir, 'registry') });
  try {
    await run(
      [process.execPath, SIGIL_BIN, 'notation', 'cert', 'generate-test', '--default', 'bench'],
      dir,
      env,
    );
    const policy = {
      version: '1.0',
      trustPolicies: [
        {
          name: 'bench',
          registryScopes: ['*'],
          signatureVerification: { level: 'strict' },
          trustStores: ['ca:bench'],
          trustedIdentities: ['x509.subject: C=US, ST=WA, O=Notary'],
        },
      ],
    };
    await writeFile(join(configDir, 'trustpolicy.json'), JSON.stringify(policy));
    const client = new RegistryClient({});
    const image = parseReference(`${registry.address}/bench/app:v1`);
    const digest = await pushTestImage(client, image, { files: { 'a.txt': 'app\n' } });
    const reference = `${registry.address}/bench/app@${digest}`;
    await run([process.execPath, SIGIL_BIN, 'notation', 'sign', reference], dir, env);
    console.log(
      `\n# notation verify, one JWS signature (RSA 2048), ${peer ? 'distribution 2.8' : 'embedded'} registry on loopback`,
    );
    const sigil = await timed(
      'sigil notation verify',
      [process.execPath, SIGIL_BIN, 'notation', 'verify', reference],
      dir,
      env,
    );
    const notation = peerBinary('notation');
    if (notation) {
      const theirs = await timed(
        'notation verify',
        [notation, 'verify', '--insecure-registry', reference],
        dir,
        env,
      );
      console.log(
        `  sigil / notation: ${(theirs.p50ms / sigil.p50ms).toFixed(2)}x the speed at p50 (> 1: sigil is faster)`,
      );
    } else {
      console.log('(notation is not installed — bash test/peers/install.sh notation: its column is skipped)');
    }

    // A long-running verifier reads its trust policy and stores once.
    const stores = new Map<string, ReturnType<typeof loadTrustStore>>();
    const options: NotationVerifyOptions = {
      trustPolicy: loadTrustPolicy(configDir),
      trustStore: (type, name) => {
        const key = `${type}:${name}`;
        const store = stores.get(key) ?? loadTrustStore(configDir, type, name);
        stores.set(key, store);
        return store;
      },
    };
    const ref = parseReference(reference);
    console.log('\n# in-process');
    const fromRegistry = await measure(IN_PROCESS / 5, async () => {
      if (!(await verifyReference(client, ref, options)).verified) throw new Error('not verified');
    });
    console.log(formatTiming('verifyReference (registry + verification)', fromRegistry));
    const found = await artifactSignatures(client, ref);
    const fetched = await fetchSignatures(client, ref, found);
    const target = { repository: found.repository, descriptor: found.target };
    const envelopeOnly = await measure(IN_PROCESS, async () => {
      if (!(await verifyNotationSignatures(target, fetched, options)).verified)
        throw new Error('not verified');
    });
    console.log(formatTiming('verifyNotationSignatures (fetched envelope)', envelopeOnly));
    const first = fetched[0];
    if (!first) throw new Error('no signature fetched');
    const content = parseEnvelope(first.mediaType, first.envelope, 'bench');
    const key = content.certificateChain[0]?.x509.publicKey;
    if (!key) throw new Error('no signing certificate');
    const floor = await measure(IN_PROCESS * 4, () => {
      if (!verifyWith(content.algorithm, key, content.signedBytes, content.signature)) throw new Error('bad');
    });
    console.log(formatTiming('floor: RSASSA-PSS-SHA-256 verify of the signature', floor));
    console.log(
      `  envelope verification / floor: ${(floor.perSecond / envelopeOnly.perSecond).toFixed(1)}x the floor's cost`,
    );
  } finally {
    await registry.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function timed(
  label: string,
  command: string[],
  dir: string,
  env: Record<string, string>,
): Promise<Timing> {
  await run(command, dir, env); // warm the file cache; a failure here names the command
  const timing = await measure(ROUNDS, () => run(command, dir, env));
  console.log(formatTiming(label, timing));
  return timing;
}
