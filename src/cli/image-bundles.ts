/**
 * `sign` and `attest` with `--new-bundle-format`: each image's statement signed into a Sigstore bundle,
 * pushed as a referrer of the image, and with `--bundle FILE` also written to a file (one image only, as
 * the file holds one bundle).
 */
import { SigilError, writeFileAtomic } from '../core/index.js';
import { signatureRepository, signImageBundle } from '../cosign/index.js';
import { formatReference, type ImageReference, type RegistryClient, repositoryName } from '../oci/index.js';
import { info } from './output.js';
import type { SigningContext } from './signing.js';

export interface BundleStatementContent {
  predicateType: string;
  predicate: unknown;
  subjectAnnotations?: Record<string, string>;
}

export async function signImagesAsBundles(
  images: ImageReference[],
  client: RegistryClient,
  signing: SigningContext,
  content: BundleStatementContent,
  options: { upload: boolean; bundle?: string },
): Promise<Array<{ image: string; digest: string; predicateType: string; bundleReferrer: string | null }>> {
  if (options.bundle && images.length > 1) {
    throw new SigilError('BAD_INPUT', '--bundle names one file: sign one image at a time with it');
  }
  const results = [];
  for (const image of images) {
    if (options.upload) {
      info(`Pushing bundle to: ${repositoryName(signatureRepository(image))} (as an OCI 1.1 referrer)`);
    }
    const signed = await signImageBundle({ client, ...signing, image, ...content, upload: options.upload });
    if (options.bundle) {
      await writeFileAtomic(options.bundle, signed.bundle);
      info(`Wrote bundle to file ${options.bundle}`);
    }
    results.push({
      image: formatReference(image),
      digest: signed.digest,
      predicateType: content.predicateType,
      bundleReferrer: signed.referrer ?? null,
    });
  }
  return results;
}
