import type { Command } from 'commander';
import { writeFileAtomic } from '../../core/index.js';
import {
  COSIGN_SIGN_PREDICATE_TYPE,
  recursiveSigningTargets,
  signImage,
  verificationJson,
  verifyImage,
} from '../../cosign/index.js';
import {
  formatReference,
  type ImageReference,
  parseReference,
  type RegistryClient,
} from '../../oci/index.js';
import { signImagesAsBundles } from '../image-bundles.js';
import { addRegistryOptions, type RegistryOptions, registryClient, trustedLog } from '../image-options.js';
import {
  addKeylessSignOptions,
  addKeylessVerifyOptions,
  type KeylessVerifyOptions,
  verificationSigners,
} from '../keyless.js';
import { SIGNING_KEY_HELP, VERIFICATION_KEY_HELP } from '../keys.js';
import { collectAnnotation, parseBool, parseOutput } from '../options.js';
import { info, printResult } from '../output.js';
import { action } from '../run.js';
import { type SigningOptions, signingContext } from '../signing.js';
import { reportVerifiedChecks, warnIfTlogIgnored } from '../verification-output.js';

interface SignOptions extends RegistryOptions, SigningOptions {
  annotations: Record<string, string>;
  upload: boolean;
  recursive?: boolean;
  yes?: boolean;
  signContainerIdentity?: string;
  outputSignature?: string;
  outputPayload?: string;
  newBundleFormat: boolean;
  bundle?: string;
  output: 'text' | 'json';
}

interface VerifyOptions extends RegistryOptions, KeylessVerifyOptions {
  key?: string;
  rekorUrl?: string;
  annotations: Record<string, string>;
  insecureIgnoreTlog: boolean;
  checkDockerReference: boolean;
  newBundleFormat: boolean;
  output: 'text' | 'json';
}

export function registerSignCommands(program: Command): void {
  const sign = program
    .command('sign')
    .description(
      "Sign the digest of container images and push the signatures to the images' registry, with a key or keyless",
    )
    .argument(
      '<image...>',
      'image references: registry/repo:tag (the digest it resolves to is signed) or repo@sha256:...',
    )
    .option('--key <key>', `${SIGNING_KEY_HELP}; without it, sign keyless`)
    .option(
      '-a, --annotations <key=value>',
      'extra key=value pairs to sign (repeatable)',
      collectAnnotation,
      {},
    )
    .option('--tlog-upload [bool]', 'upload the signature to the transparency log', parseBool, true)
    .option('--rekor-url <url>', 'the transparency log (Rekor v1 API) to upload to')
    .option('--upload [bool]', 'push the signature to the registry', parseBool, true)
    .option(
      '-r, --recursive',
      'for a multi-platform image (an image index), also sign every manifest it lists, as cosign does',
    )
    .option('--sign-container-identity <ref>', 'the docker-reference to sign instead of the image repository')
    .option('--output-signature <file>', 'also write the base64 signature to this file')
    .option('--output-payload <file>', 'also write the signed payload to this file')
    .option(
      '--new-bundle-format [bool]',
      "store the signature as a Sigstore bundle referrer (an in-toto statement of cosign v3's signing predicate)",
      parseBool,
      false,
    )
    .option('--bundle <file>', 'with --new-bundle-format: also write the bundle to this file')
    .option('-y, --yes', 'skip confirmation prompts')
    .option('--output <format>', 'text or json', parseOutput, 'text')
    .addHelpText(
      'after',
      `
Examples:
  sigil sign --key cosign.key --tlog-upload=false 127.0.0.1:5000/app:v1
  sigil sign --key cosign.key -a env=prod -a git_sha=$GITHUB_SHA ghcr.io/org/app@sha256:...
  sigil sign --key cosign.key --recursive registry.internal/app@sha256:...   # an index and each platform
  sigil sign --key k8s://ci/cosign-keys registry.internal/app@sha256:...   # key + password from a Secret
  sigil sign --yes 127.0.0.1:5000/app@sha256:...     # keyless, on the stack \`sigil serve\` runs
  sigil sign --key cosign.key --new-bundle-format --bundle app.sigstore.json 127.0.0.1:5000/app@sha256:...
  sigil sign --yes --fulcio-url https://ca.internal --rekor-url https://log.internal \\
    --identity-token "$(cat token.jwt)" registry.internal/app@sha256:...`,
    );
  addRegistryOptions(addKeylessSignOptions(sign)).action(
    action(async (images: string[], opts: SignOptions) => {
      const signing = await signingContext(opts);
      const client = registryClient(opts);
      const references = await signingTargets(client, images.map(parseReference), opts.recursive === true);
      if (opts.newBundleFormat) {
        const content = {
          predicateType: COSIGN_SIGN_PREDICATE_TYPE,
          predicate: {},
          subjectAnnotations: opts.annotations,
        };
        const bundled = await signImagesAsBundles(references, client, signing, content, opts);
        if (opts.output === 'json') printResult(JSON.stringify(bundled));
        return;
      }
      const results = [];
      for (const image of references) {
        const result = await signImage({
          client,
          ...signing,
          image,
          annotations: opts.annotations,
          upload: opts.upload,
          progress: info,
          ...(opts.signContainerIdentity ? { signContainerIdentity: opts.signContainerIdentity } : {}),
        });
        results.push({ image: formatReference(image), ...result });
      }
      if (opts.outputSignature)
        await writeFileAtomic(opts.outputSignature, results.map((r) => r.signature).join('\n'));
      if (opts.outputPayload) {
        await writeFileAtomic(
          opts.outputPayload,
          Buffer.concat(results.flatMap((r, i) => (i ? [Buffer.from('\n'), r.payload] : [r.payload]))),
        );
      }
      if (opts.output === 'json') {
        printResult(
          JSON.stringify(
            results.map((r) => ({
              image: r.image,
              digest: r.digest,
              signature: r.signature,
              signatureReference: r.signatureReference ?? null,
              appended: r.appended,
            })),
          ),
        );
      }
    }),
  );

  const verify = program
    .command('verify')
    .description(
      'Verify the signatures of container images against a public key or signer identities (keyless)',
    )
    .argument('<image...>', 'image references')
    .option('--key <key>', VERIFICATION_KEY_HELP)
    .option(
      '-a, --annotations <key=value>',
      'annotations every accepted signature must carry (repeatable)',
      collectAnnotation,
      {},
    )
    .option(
      '--insecure-ignore-tlog [bool]',
      'accept signatures that are not in a transparency log',
      parseBool,
      false,
    )
    .option(
      '--rekor-url <url>',
      'the transparency log to fetch inclusion proofs from (its key: SIGSTORE_REKOR_PUBLIC_KEY)',
    )
    .option(
      '--check-docker-reference [bool]',
      "also require the payload's docker-reference to name the image's repository (off by default, as in " +
        'cosign: copies of a signed image in another registry keep verifying; the digest is always checked)',
      parseBool,
      false,
    )
    .option(
      '--new-bundle-format [bool]',
      'also accept signature bundles stored as OCI 1.1 referrers (cosign v3); false: only the .sig tag',
      parseBool,
      true,
    )
    .option(
      '-o, --output <format>',
      "json (cosign's payload array, the default) or text",
      parseOutput,
      'json',
    )
    .addHelpText(
      'after',
      `
Exit code 0 when every image has at least one valid signature, 1 otherwise.

Examples:
  sigil verify --key cosign.pub --insecure-ignore-tlog 127.0.0.1:5000/app:v1
  sigil verify --key cosign.pub -a env=prod ghcr.io/org/app@sha256:... | jq .
  sigil verify --key k8s://ci/cosign-keys registry.internal/app@sha256:...  # cosign.pub of a Secret
  sigil verify --certificate-identity-regexp '^https://github.com/org/' \\
    --certificate-oidc-issuer https://token.actions.githubusercontent.com \\
    --trusted-root trusted_root.json ghcr.io/org/app@sha256:...
  SIGSTORE_REKOR_PUBLIC_KEY=rekor.pub SIGSTORE_CT_LOG_PUBLIC_KEY_FILE=ctlog.pub \\
    sigil verify --ca-roots fulcio-root.pem --ca-intermediates fulcio-intermediate.pem \\
    --certificate-identity ci@example.com --certificate-oidc-issuer https://oidc.internal IMAGE`,
    );
  addRegistryOptions(addKeylessVerifyOptions(verify)).action(
    action(async (images: string[], opts: VerifyOptions) => {
      const references = images.map(parseReference);
      const signers = await verificationSigners(opts, opts.insecureIgnoreTlog);
      const client = registryClient(opts);
      warnIfTlogIgnored(opts.insecureIgnoreTlog);
      for (const image of references) {
        const result = await verifyImage({
          client,
          image,
          ...signers,
          ignoreTlog: opts.insecureIgnoreTlog,
          ...trustedLog(opts.rekorUrl, opts.trustedRoot),
          checkDockerReference: opts.checkDockerReference,
          bundles: opts.newBundleFormat,
          ...(Object.keys(opts.annotations).length > 0 ? { annotations: opts.annotations } : {}),
        });
        const annotated = Object.keys(opts.annotations).length > 0;
        reportVerifiedChecks(
          formatReference(image),
          [
            ...(annotated ? ['The specified annotations were verified.'] : []),
            'The cosign claims were validated',
          ],
          'keyless' in signers,
        );
        if (opts.output === 'json') printResult(verificationJson(result));
        else for (const v of result.verified) printResult(v.payload.toString('utf8'));
      }
    }),
  );
}

/** The images to sign: as given, or with --recursive each one's index children too. */
async function signingTargets(
  client: RegistryClient,
  images: ImageReference[],
  recursive: boolean,
): Promise<ImageReference[]> {
  if (!recursive) return images;
  const targets = await Promise.all(images.map((image) => recursiveSigningTargets(client, image)));
  return targets.flat();
}
