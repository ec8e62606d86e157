import { existsSync } from 'node:fs';
import type { TrustedRoot } from '@sigstore/protobuf-specs';
import type { Command } from 'commander';
import { readUserFile, SigilError, writeFileAtomic } from '../../core/index.js';
import { signBlob } from '../../cosign/index.js';
import { parseBlobBundle } from '../../formats/index.js';
import {
  type BlobVerification,
  type SignedArtifact,
  verifyBlobBundle,
  verifyBlobSignature,
} from '../../verify/index.js';
import {
  addKeylessSignOptions,
  addKeylessVerifyOptions,
  configuredTrustedRoot,
  type KeylessVerifyOptions,
  verificationSigners,
} from '../keyless.js';
import { SIGNING_KEY_HELP, VERIFICATION_KEY_HELP } from '../keys.js';
import { logKeyFromEnvironment } from '../log-key.js';
import { parseBool, parseOutput } from '../options.js';
import { info, printResult } from '../output.js';
import { action } from '../run.js';
import { type SigningOptions, signingContext } from '../signing.js';
import { warnIfTlogIgnored } from '../verification-output.js';

interface SignBlobOptions extends SigningOptions {
  bundle?: string;
  newBundleFormat: boolean;
  outputSignature?: string;
  yes?: boolean;
}

interface VerifyBlobOptions extends KeylessVerifyOptions {
  key?: string;
  signature?: string;
  certificate?: string;
  certificateChain?: string;
  bundle?: string;
  insecureIgnoreTlog: boolean;
  output: 'text' | 'json';
}

export function registerBlobCommands(program: Command): void {
  const signBlobCommand = program
    .command('sign-blob')
    .description(
      'Sign a file with a key or keyless; print the base64 signature and optionally write a bundle',
    )
    .argument('<file>', 'the file to sign')
    .option('--key <key>', `${SIGNING_KEY_HELP}; without it, sign keyless`)
    .option('--bundle <file>', 'write a bundle holding the signature and verification material')
    .option(
      '--new-bundle-format [bool]',
      "write the Sigstore bundle (true) or cosign's legacy bundle (false)",
      parseBool,
      true,
    )
    .option('--output-signature <file>', 'write the base64 signature to this file instead of stdout')
    .option('--tlog-upload [bool]', 'upload the signature to the transparency log', parseBool, true)
    .option('--rekor-url <url>', 'the transparency log (Rekor v1 API) to upload to')
    .option('-y, --yes', 'skip confirmation prompts')
    .addHelpText(
      'after',
      `
Examples:
  sigil sign-blob --key cosign.key --tlog-upload=false artifact.tgz > artifact.sig
  sigil sign-blob --key cosign.key --tlog-upload=false --bundle artifact.sigstore.json artifact.tgz
  sigil sign-blob --key cosign.key --rekor-url http://127.0.0.1:3000 --bundle artifact.sigstore.json artifact.tgz
  sigil sign-blob --yes --bundle artifact.sigstore.json artifact.tgz    # keyless, on \`sigil serve\``,
    );
  addKeylessSignOptions(signBlobCommand).action(
    action(async (file: string, opts: SignBlobOptions) => {
      const artifact = readUserFile(file, 'file to sign');
      const { signer, tlog, tsaUrl } = await signingContext(opts);
      const format = opts.bundle ? (opts.newBundleFormat ? 'sigstore' : 'legacy') : 'none';
      const result = await signBlob(signer, artifact, format, tlog, tsaUrl);
      if (opts.bundle && result.bundle) {
        await writeFileAtomic(opts.bundle, result.bundle);
        info(`Wrote bundle to file ${opts.bundle}`);
      }
      if (opts.outputSignature) {
        await writeFileAtomic(opts.outputSignature, result.signature);
        info(`Signature wrote in the file ${opts.outputSignature}`);
      } else {
        printResult(result.signature);
      }
    }),
  );

  const verifyBlobCommand = program
    .command('verify-blob')
    .description('Verify a signature or bundle over a file with a public key or signer identities (keyless)')
    .argument('<file>', 'the signed file, or its digest as sha256:<hex> (when no such file exists)')
    .option('--key <key>', VERIFICATION_KEY_HELP)
    .option('--signature <file|base64>', 'the signature: a file holding it, or the base64 text itself')
    .option('--bundle <file>', 'a Sigstore bundle or cosign legacy bundle')
    .option(
      '--certificate <file>',
      'the PEM signing certificate of a --signature (a key from your own CA): it must chain to ' +
        '--certificate-chain (or the trusted CAs) and match the --certificate-identity/-oidc-issuer flags',
    )
    .option(
      '--certificate-chain <file>',
      "PEM CA certificates to chain the signing certificate to, the issuer first and the root last (cosign's " +
        'flag: the same trust as --ca-roots)',
    )
    .option(
      '--insecure-ignore-tlog [bool]',
      'accept signatures that are not in a transparency log',
      parseBool,
      false,
    )
    .option('-o, --output <format>', 'text or json', parseOutput, 'text')
    .addHelpText(
      'after',
      `
Examples:
  sigil verify-blob --key cosign.pub --signature artifact.sig --insecure-ignore-tlog artifact.tgz
  sigil verify-blob --key cosign.pub --bundle artifact.sigstore.json --insecure-ignore-tlog artifact.tgz
  sigil verify-blob --bundle artifact.sigstore.json --certificate-identity dev@example.com \\
    --certificate-oidc-issuer https://accounts.google.com --trusted-root trusted_root.json artifact.tgz
  sigil verify-blob --signature artifact.sig --certificate signer.pem --certificate-chain ca-chain.pem \\
    --certificate-identity signer@example.com --certificate-oidc-issuer-regexp '.*' \\
    --insecure-ignore-tlog --insecure-ignore-sct artifact.tgz
  sigil verify-blob --key cosign.pub --bundle artifact.sigstore.json --trusted-root trusted_root.json \\
    sha256:$(sha256sum artifact.tgz | cut -d' ' -f1)       # the digest in place of the file`,
    );
  addKeylessVerifyOptions(verifyBlobCommand).action(
    action(async (file: string, opts: VerifyBlobOptions) => {
      if (!opts.signature && !opts.bundle) {
        throw new SigilError('BAD_INPUT', 'nothing to verify: pass --signature or --bundle');
      }
      const signers = await verificationSigners(withCertificateChain(opts), opts.insecureIgnoreTlog);
      const artifact = signedArtifact(file);
      const options = {
        ...signers,
        artifact,
        ignoreTlog: opts.insecureIgnoreTlog,
        ...logKeyFromEnvironment(),
        ...keyedLogTrust(opts),
      };
      warnIfTlogIgnored(opts.insecureIgnoreTlog);
      const result = opts.bundle
        ? verifyBlobBundle(options, parseBlobBundle(readUserFile(opts.bundle, 'bundle'), opts.bundle))
        : opts.certificate
          ? certifiedSignature(options, signatureText(opts.signature as string), opts.certificate)
          : verifyBlobSignature(options, signatureText(opts.signature as string));
      if (opts.output === 'json') {
        const identity = result.keyless?.identity;
        printResult(
          JSON.stringify({
            verified: true,
            file,
            source: result.source,
            ...(identity ? { identities: identity.subjects, issuer: identity.issuer ?? null } : {}),
          }),
        );
      } else info('Verified OK');
    }),
  );
}

/** cosign's --certificate-chain is the CA bundle --ca-roots takes (intermediates and root, in one file). */
function withCertificateChain(opts: VerifyBlobOptions): VerifyBlobOptions {
  if (!opts.certificateChain) return opts;
  if (opts.caRoots) throw new SigilError('BAD_INPUT', 'pass --certificate-chain or --ca-roots, not both');
  return { ...opts, caRoots: opts.certificateChain };
}

/**
 * `--signature` with `--certificate`: the pair is what cosign's legacy blob bundle holds (without a log
 * entry), so it is verified as one: the certificate's chain, identity and key, then the signature.
 */
function certifiedSignature(
  options: Parameters<typeof verifyBlobBundle>[0],
  signature: string,
  certificateFile: string,
): BlobVerification {
  if (!options.keyless) {
    throw new SigilError(
      'BAD_INPUT',
      '--certificate is verified against CAs and identities: pass --certificate-identity and ' +
        '--certificate-oidc-issuer (or their -regexp forms) instead of --key',
    );
  }
  const cert = readUserFile(certificateFile, 'certificate').toString('base64');
  const bundle = { format: 'legacy' as const, bundle: { base64Signature: signature.trim(), cert } };
  const trust = { ...options.keyless, untimedAtCurrentTime: true };
  return { ...verifyBlobBundle({ ...options, keyless: trust }, bundle), source: 'signature' };
}

/**
 * The file, or, as in cosign v3 and the conformance protocol, its digest `sha256:<64 hex>` when no file
 * has that name.
 */
function signedArtifact(file: string): SignedArtifact {
  if (/^sha256:[0-9a-fA-F]{64}$/.test(file) && !existsSync(file)) {
    return { sha256: Buffer.from(file.slice('sha256:'.length), 'hex') };
  }
  return readUserFile(file, 'signed file');
}

/**
 * With --key, a bundle's log entries are checked against the trusted root's logs (--trusted-root, else
 * the configured one), as cosign does; SIGSTORE_REKOR_PUBLIC_KEY still wins when set.
 */
function keyedLogTrust(opts: VerifyBlobOptions): { trustedRoot?: TrustedRoot } {
  if (!opts.key || opts.insecureIgnoreTlog) return {};
  const trustedRoot = configuredTrustedRoot(opts.trustedRoot);
  return trustedRoot ? { trustedRoot } : {};
}

/** cosign's --signature takes a file name or the base64 signature itself; an existing file wins. */
function signatureText(value: string): string {
  if (!existsSync(value) && /^[A-Za-z0-9+/]+={0,2}$/.test(value)) return value;
  return readUserFile(value, 'signature').toString('utf8');
}
