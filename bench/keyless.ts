/**
 * Keyless on the local stack (`sigil serve`'s services in this process): certificates issued per second
 * over the CA's HTTP API (token check + proof of possession + SCT), keyless image signing end to end,
 * keyless verification cold and warm, and the same keyless bundles (blob bundles, and image signatures)
 * verified by sigil, by @sigstore/verify and by the bare signature checks they need (the raw-crypto floor:
 * chain links, SCT, SET and checkpoint, artifact signature) in one run.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Bundle, bundleFromJSON, bundleToJSON } from '@sigstore/bundle';
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import type { Digest } from '../src/core/index.js';
import {
  keylessLayerBundle,
  keylessSigner,
  readSignatureLayers,
  signatureRepository,
  signBlob,
  signImage,
  verifyImage,
  verifyKeylessLayer,
} from '../src/cosign/index.js';
import {
  ANNOTATION_SIGNATURE,
  artifactTag,
  type LayerDescriptor,
  parseBlobBundle,
  SIMPLE_SIGNING_MEDIA_TYPE,
} from '../src/formats/index.js';
import { formatReference, parseReference, pushTestImage, RegistryClient } from '../src/oci/index.js';
import { startStack } from '../src/server/index.js';
import { RekorClient } from '../src/tlog/index.js';
import { compileIdentityPolicy, parseTrustedRoot, verifyBlobBundle } from '../src/verify/index.js';
import { benchCertificates } from './certificates.js';
import { runCheck, signatureChecks } from './keyless-floor.js';
import { formatTiming, measure, memoryLine, type Timing } from './stats.js';

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

    const trust = { root, policy };
    const imageCases = await imageSignatures(client, images);
    await versusSigstore(
      'image signatures',
      imageCases,
      (c) => verifyKeylessLayer(c.layer, c.signed, trust),
      rootText,
    );
    // End to end, `verify` is the registry reads plus the checks; the same reads with @sigstore/verify after
    // them, back to back with sigil's, and the reads alone.
    const sigstoreVerifier = new Verifier(toTrustMaterial(parseTrustedRoot(rootText, 'root')));
    const endToEnd = await measure(IMAGES * 3, (i) => verifyOne(i));
    const sigstoreEndToEnd = await measure(IMAGES * 3, async (i) => {
      const { layer, signed } = await readImageSignature(client, images[i % IMAGES] as string);
      sigstoreVerifier.verify(toSignedEntity(keylessLayerBundle(layer, signed), signed.payload));
    });
    const reads = await measure(IMAGES * 3, (i) => readImageSignature(client, images[i % IMAGES] as string));
    console.log(formatTiming('sigil verify of an image, warm, end to end', endToEnd));
    console.log(formatTiming('the same registry reads + @sigstore/verify', sigstoreEndToEnd));
    console.log(formatTiming('the registry reads alone (.sig manifest + layer)', reads));
    console.log(
      `ratio sigil/@sigstore/verify (image, end to end): ${(endToEnd.perSecond / sigstoreEndToEnd.perSecond).toFixed(2)}x; at p50 the reads are ${((100 * reads.p50ms) / endToEnd.p50ms).toFixed(0)}% of sigil's time`,
    );
    const blobCases = await blobBundles(stack);
    await versusSigstore(
      'keyless blob bundles',
      blobCases,
      (c) =>
        verifyBlobBundle(
          { artifact: c.artifact, ignoreTlog: false, keyless: trust },
          parseBlobBundle(c.json, 'bench'),
        ),
      rootText,
    );
    console.log(memoryLine());
  } finally {
    await stack.close();
  }
}

interface KeylessCase {
  /** The bundle as @sigstore/verify reads it, and the bytes it signs. */
  json: string;
  artifact: Buffer;
  bundle: Bundle;
}

type ImageSignature = KeylessCase & {
  layer: LayerDescriptor;
  signed: { payload: Buffer; signatureBase64: string };
};

/** An image's signature as `verify` reads it from the registry (its first layer). */
async function readImageSignature(
  client: RegistryClient,
  image: string,
): Promise<Pick<ImageSignature, 'layer' | 'signed'>> {
  const ref = parseReference(image);
  const repo = signatureRepository(ref);
  const artifact = await readSignatureLayers(
    client,
    repo,
    artifactTag(ref.digest as Digest, 'sig'),
    SIMPLE_SIGNING_MEDIA_TYPE,
  );
  const layer = artifact?.layers[0];
  const signatureBase64 = layer?.annotations?.[ANNOTATION_SIGNATURE];
  if (!layer || !signatureBase64) throw new Error(`no signature layer for ${image}`);
  return { layer, signed: { payload: await client.getBlob(repo, layer.digest), signatureBase64 } };
}

/** The signature of each image, and as the bundle it amounts to. */
async function imageSignatures(client: RegistryClient, images: string[]): Promise<ImageSignature[]> {
  const cases: ImageSignature[] = [];
  for (const image of images) {
    const { layer, signed } = await readImageSignature(client, image);
    const bundle = keylessLayerBundle(layer, signed);
    cases.push({
      layer,
      signed,
      artifact: signed.payload,
      bundle,
      json: JSON.stringify(bundleToJSON(bundle)),
    });
  }
  return cases;
}

/** Blob bundles from one certificate, as a CI job signing several files makes them. */
async function blobBundles(stack: Awaited<ReturnType<typeof startStack>>): Promise<KeylessCase[]> {
  const tlog = new RekorClient(stack.urls.tlog);
  const signer = await keylessSigner(
    stack.urls.ca,
    await stack.mintToken({ kind: 'github-actions', repository: 'org/app' }),
  );
  const cases: KeylessCase[] = [];
  for (let i = 0; i < BUNDLES; i++) {
    const artifact = Buffer.from(`artifact ${i} ${'x'.repeat(1024)}`);
    const json = (await signBlob(signer, artifact, 'sigstore', tlog)).bundle as string;
    const bundle = bundleFromJSON(JSON.parse(json));
    cases.push({ artifact, bundle, json });
  }
  return cases;
}

/**
 * The same cases verified by sigil, by @sigstore/verify (parsing the bundle each time, as sigil does), and
 * as bare signature checks, each timed after a warm-up pass.
 */
async function versusSigstore<C extends KeylessCase>(
  label: string,
  cases: C[],
  ours: (c: C) => unknown,
  rootText: Buffer,
): Promise<{ sigil: Timing; sigstore: Timing; floor: Timing }> {
  const root = parseTrustedRoot(rootText, 'root');
  const verifier = new Verifier(toTrustMaterial(root));
  const checks = cases.map((c) => signatureChecks(c.bundle, c.artifact, root));
  const at = (i: number) => cases[i % cases.length] as C;
  const run = {
    sigil: (i: number) => ours(at(i)),
    sigstore: (i: number) => {
      const c = at(i);
      verifier.verify(toSignedEntity(bundleFromJSON(JSON.parse(c.json)), c.artifact));
    },
    floor: (i: number) => {
      for (const check of checks[i % cases.length] ?? []) runCheck(check);
    },
  };
  for (const fn of Object.values(run)) await measure(cases.length, fn);
  const passes = 3;
  const sigil = await measure(cases.length * passes, run.sigil);
  const sigstore = await measure(cases.length * passes, run.sigstore);
  const floor = await measure(cases.length * passes, run.floor);
  const perBundle = (checks[0] ?? []).map((c) => c.what).join(', ');
  console.log(formatTiming(`sigil, ${label} (${cases.length}, ${passes} passes)`, sigil));
  console.log(formatTiming('@sigstore/verify, same bundles', sigstore));
  console.log(formatTiming('raw-crypto floor, same bundles', floor));
  console.log(`  floor per bundle: ${checks[0]?.length} crypto.verify calls (${perBundle})`);
  console.log(
    `ratio sigil/@sigstore/verify (${label}): ${(sigil.perSecond / sigstore.perSecond).toFixed(2)}x; sigil time/floor time: ${(floor.perSecond / sigil.perSecond).toFixed(2)}x`,
  );
  return { sigil, sigstore, floor };
}
