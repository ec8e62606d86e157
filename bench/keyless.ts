/**
 * Keyless on the local stack (`sigil serve`'s services in this process): certificates issued per second
 * over the CA's HTTP API (token check + proof of possession + SCT), keyless image signing end to end,
 * keyless verification cold and warm, and the same keyless bundles verified by sigil and by
 * @sigstore/verify in one run.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleFromJSON } from '@sigstore/bundle';
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import { keylessSigner, signBlob, signImage, verifyImage } from '../src/cosign/index.js';
import { parseBlobBundle } from '../src/formats/index.js';
import { formatReference, parseReference, pushTestImage, RegistryClient } from '../src/oci/index.js';
import { startStack } from '../src/server/index.js';
import { RekorClient } from '../src/tlog/index.js';
import { compileIdentityPolicy, parseTrustedRoot, verifyBlobBundle } from '../src/verify/index.js';
import { benchCertificates } from './certificates.js';
import { formatTiming, measure, memoryLine } from './stats.js';

const IMAGES = 100;
const BUNDLES = 300;

export async function benchKeyless(): Promise<void> {
  const stack = await startStack({
    dataDir: await mkdtemp(join(tmpdir(), 'sigil-bench-keyless-')),
    host: '127.0.0.1',
  });
  try {
    console.log('\n# keyless on the local stack (CA, log, dev OIDC issuer, registry in this process)');
    await benchCertificates({
      caUrl: stack.urls.ca,
      mint: () => stack.mintToken({ kind: 'github-actions', repository: 'org/app' }),
    });
    const policy = compileIdentityPolicy({
      identityRegexp: '^https://github.com/org/',
      issuer: stack.issuers['github-actions'],
    });
    const rootText = readFileSync(stack.trustedRootPath);

    const client = new RegistryClient({});
    const images: string[] = [];
    for (let i = 0; i < IMAGES; i++) {
      const ref = parseReference(`${stack.registryAddress}/bench/app${i}:v1`);
      const digest = await pushTestImage(client, ref, { files: { 'n.txt': `${i}\n` } });
      images.push(formatReference({ ...ref, tag: undefined, digest }));
    }
    const tlog = new RekorClient(stack.urls.tlog);
    const signTiming = await measure(
      IMAGES,
      async (i) => {
        const token = await stack.mintToken({ kind: 'github-actions', repository: 'org/app' });
        const signer = await keylessSigner(stack.urls.ca, token);
        await signImage({ client, signer, image: parseReference(images[i] as string), tlog });
      },
      8,
    );
    console.log(formatTiming('keyless sign of an image (token, cert, log, push), 8 at once', signTiming));

    const root = parseTrustedRoot(rootText, 'trusted_root.json');
    const verifyOne = (i: number, trustedRoot = root) =>
      verifyImage({
        client,
        image: parseReference(images[i % IMAGES] as string),
        keyless: { root: trustedRoot, policy },
        ignoreTlog: false,
        checkDockerReference: false,
      });
    // Cold: the trusted root is parsed and its trust material built for every verification.
    const cold = await measure(IMAGES, (i) => verifyOne(i, parseTrustedRoot(rootText, 'trusted_root.json')));
    const warm = await measure(IMAGES * 3, (i) => verifyOne(i));
    console.log(formatTiming('keyless verify of an image, cold (root parsed each time)', cold));
    console.log(formatTiming('keyless verify of an image, warm (trust material reused)', warm));

    await bundlesVersusSigstore(stack, root, policy, rootText);
    console.log(memoryLine());
  } finally {
    await stack.close();
  }
}

async function bundlesVersusSigstore(
  stack: Awaited<ReturnType<typeof startStack>>,
  root: ReturnType<typeof parseTrustedRoot>,
  policy: ReturnType<typeof compileIdentityPolicy>,
  rootText: Buffer,
): Promise<void> {
  const tlog = new RekorClient(stack.urls.tlog);
  const cases: Array<{ artifact: Buffer; bundle: string }> = [];
  // One certificate signs many artifacts, as a CI job signing several files does.
  const signer = await keylessSigner(
    stack.urls.ca,
    await stack.mintToken({ kind: 'github-actions', repository: 'org/app' }),
  );
  for (let i = 0; i < BUNDLES; i++) {
    const artifact = Buffer.from(`artifact ${i} ${'x'.repeat(1024)}`);
    cases.push({ artifact, bundle: (await signBlob(signer, artifact, 'sigstore', tlog)).bundle as string });
  }
  const ours = async (i: number) => {
    const c = cases[i % BUNDLES]!;
    verifyBlobBundle(
      { artifact: c.artifact, ignoreTlog: false, keyless: { root, policy } },
      parseBlobBundle(c.bundle, 'bench'),
    );
  };
  const verifier = new Verifier(toTrustMaterial(parseTrustedRoot(rootText, 'root')));
  const theirs = async (i: number) => {
    const c = cases[i % BUNDLES]!;
    verifier.verify(toSignedEntity(bundleFromJSON(JSON.parse(c.bundle)), c.artifact));
  };
  await measure(BUNDLES, ours);
  await measure(BUNDLES, theirs);
  const a = await measure(BUNDLES * 3, ours);
  const b = await measure(BUNDLES * 3, theirs);
  console.log(formatTiming(`sigil verify-blob, keyless bundles (${BUNDLES}, 3 passes)`, a));
  console.log(formatTiming('@sigstore/verify, same bundles', b));
  console.log(`ratio sigil/@sigstore/verify (keyless): ${(a.perSecond / b.perSecond).toFixed(2)}x`);
}
