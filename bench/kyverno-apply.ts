/**
 * `sigil policy apply` against the real `kyverno apply --registry` (test/peers), whole processes, the same
 * key policy over the same Pods of key-signed images on the loopback registry of a private stack: wall time
 * per run and the ratio. Skipped when the Kyverno peer is not installed.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { signImage } from '../src/cosign/index.js';
import { generateKeyPair, keySigner, publicKeyPem } from '../src/crypto/index.js';
import { parseReference, pushTestImage, RegistryClient } from '../src/oci/index.js';
import { startStack } from '../src/server/index.js';
import { SIGIL_BIN } from '../test/helpers/cli.js';
import { peerBinary } from '../test/helpers/peers.js';
import { podsManifest } from '../test/helpers/policy-verdicts.js';
import { formatTiming, measure } from './stats.js';

const IMAGES = 10;
const ROUNDS = 5;

const run = promisify(execFile);

export async function benchKyvernoApply(): Promise<void> {
  console.log(`\n# policy apply: ${IMAGES} Pods of key-signed images, one key policy, whole processes`);
  const kyverno = peerBinary('kyverno', 'kubectl-kyverno');
  if (!kyverno) {
    console.log('(the kyverno peer is not installed: bash test/peers/install.sh kyverno)');
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'sigil-bench-'));
  const stack = await startStack({ dataDir: join(dir, '.sigil'), host: '127.0.0.1' });
  try {
    const client = new RegistryClient({});
    const key = generateKeyPair('ecdsa-p256');
    const pods = [];
    for (let i = 0; i < IMAGES; i++) {
      const image = `${stack.registryAddress}/bench/app${i}:v1`;
      await pushTestImage(client, parseReference(image), { files: { 'i.txt': `${i}\n` } });
      await signImage({ client, signer: keySigner(key.privateKey), image: parseReference(image) });
      pods.push({ name: `app${i}`, image });
    }
    const resources = join(dir, 'pods.yaml');
    await writeFile(resources, podsManifest(pods));
    const policy = join(dir, 'policy.yaml');
    await writeFile(
      policy,
      stringify(keyPolicy(`${stack.registryAddress}/bench/*`, publicKeyPem(key.publicKey))),
    );
    const env = { PATH: process.env.PATH ?? '', HOME: dir };
    const sigil = await measure(ROUNDS, () =>
      run(process.execPath, [SIGIL_BIN, 'policy', 'apply', '--policy', policy, '--resource', resources], {
        env,
      }),
    );
    const peer = await measure(ROUNDS, () =>
      run(kyverno, ['apply', policy, '--resource', resources, '--registry'], { env }),
    );
    console.log(formatTiming('sigil policy apply', sigil));
    console.log(formatTiming('kyverno apply --registry', peer));
    console.log(`ratio (kyverno / sigil wall time per run): ${(peer.p50ms / sigil.p50ms).toFixed(2)}`);
  } finally {
    await stack.close();
    await rm(dir, { recursive: true, force: true });
  }
}

function keyPolicy(pattern: string, publicKeys: string): Record<string, unknown> {
  return {
    apiVersion: 'kyverno.io/v1',
    kind: 'ClusterPolicy',
    metadata: { name: 'bench-key' },
    spec: {
      validationFailureAction: 'Enforce',
      rules: [
        {
          name: 'verify',
          match: { any: [{ resources: { kinds: ['Pod'] } }] },
          verifyImages: [
            {
              imageReferences: [pattern],
              attestors: [
                {
                  entries: [
                    { keys: { publicKeys, rekor: { ignoreTlog: true }, ctlog: { ignoreSCT: true } } },
                  ],
                },
              ],
            },
          ],
        },
      ],
    },
  };
}
