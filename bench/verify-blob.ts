/**
 * Blob bundles verified per second: sigil's verify-blob path against @sigstore/verify used directly, on the
 * same 1,000 key-signed Sigstore bundles, in one run.
 */
import { bundleFromJSON } from '@sigstore/bundle';
import type { TrustedRoot } from '@sigstore/protobuf-specs';
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import { signBlob } from '../src/cosign/index.js';
import { generateKeyPair, keySigner } from '../src/crypto/index.js';
import { parseBlobBundle } from '../src/formats/index.js';
import { verifyBlobBundle } from '../src/verify/index.js';
import { formatTiming, measure, memoryLine } from './stats.js';

const COUNT = 1000;
// Each tool verifies the 1,000 bundles this many times (after one warm-up pass), so a run lasts long enough to time.
const PASSES = 5;

export async function benchVerifyBlob(): Promise<void> {
  const { privateKey, publicKey } = generateKeyPair('ecdsa-p256');
  const signer = keySigner(privateKey);
  const cases: Array<{ artifact: Buffer; bundle: string }> = [];
  for (let i = 0; i < COUNT; i++) {
    const artifact = Buffer.from(`artifact number ${i} ${'x'.repeat(1024)}`);
    const { bundle } = await signBlob(signer, artifact, 'sigstore');
    cases.push({ artifact, bundle: bundle as string });
  }

  const ours = await timed((i) => {
    const c = cases[i % COUNT]!;
    verifyBlobBundle(
      { publicKey, artifact: c.artifact, ignoreTlog: true },
      parseBlobBundle(c.bundle, 'bench'),
    );
  });

  const root: TrustedRoot = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [],
    certificateAuthorities: [],
    ctlogs: [],
    timestampAuthorities: [],
  };
  const verifier = new Verifier(
    toTrustMaterial(root, () => ({ publicKey, validFor: () => true })),
    {
      tlogThreshold: 0,
      ctlogThreshold: 0,
      timestampThreshold: 0,
    },
  );
  const theirs = await timed((i) => {
    const c = cases[i % COUNT]!;
    verifier.verify(toSignedEntity(bundleFromJSON(JSON.parse(c.bundle)), c.artifact));
  });

  console.log(
    `\n# verify-blob: the same ${COUNT} key-signed Sigstore bundles (ECDSA P-256, 1 KiB artifacts), ${PASSES} passes each`,
  );
  console.log(formatTiming('sigil verify-blob (parse + checks + verify)', ours));
  console.log(formatTiming('@sigstore/verify (bundleFromJSON + Verifier)', theirs));
  console.log(`ratio sigil/@sigstore/verify: ${(ours.perSecond / theirs.perSecond).toFixed(2)}x`);
  console.log(memoryLine());
}

async function timed(fn: (i: number) => unknown) {
  await measure(COUNT, fn);
  return measure(COUNT * PASSES, fn);
}
