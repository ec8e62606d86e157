import { basename } from 'node:path';
import type { Command } from 'commander';
import {
  type Digest,
  isDigest,
  readUserFile,
  SigilError,
  sha256Digest,
  writeFileAtomic,
} from '../../core/index.js';
import { attestBlob } from '../../cosign/index.js';
import {
  type BlobBundle,
  buildPredicate,
  buildStatement,
  envelopeAttestationBundle,
  PREDICATE_TYPE_NAMES,
  parseBlobBundle,
  predicateTypeFor,
} from '../../formats/index.js';
import { verifyBlobAttestation } from '../../verify/index.js';
import {
  addKeylessSignOptions,
  addKeylessVerifyOptions,
  type KeylessVerifyOptions,
  verificationSigners,
} from '../keyless.js';
import { SIGNING_KEY_HELP, VERIFICATION_KEY_HELP } from '../keys.js';
import { configuredLogKeys } from '../log-key.js';
import { parseBool, parseOutput } from '../options.js';
import { info, printResult } from '../output.js';
import { action } from '../run.js';
import { type SigningOptions, signingContext } from '../signing.js';
import { warnIfTlogIgnored } from '../verification-output.js';

interface AttestBlobOptions extends SigningOptions {
  predicate: string;
  type: string;
  bundle?: string;
  hash?: string;
  yes?: boolean;
}

interface VerifyBlobAttestationOptions extends KeylessVerifyOptions {
  key?: string;
  bundle?: string;
  signature?: string;
  type: string;
  digest?: string;
  digestAlg: string;
  checkClaims: boolean;
  insecureIgnoreTlog: boolean;
  output: 'text' | 'json';
}

const TYPE_HELP = `predicate type: ${PREDICATE_TYPE_NAMES.join('|')}, or a URI`;

export function registerBlobAttestCommands(program: Command): void {
  const attest = program
    .command('attest-blob')
    .description('Attest facts about a file: a signed in-toto statement, written as a Sigstore bundle')
    .argument('[file]', 'the file the statement is about (or give --hash)')
    .requiredOption('--predicate <file>', 'the predicate: an SBOM, a scan report, a provenance document')
    .option('--type <type>', TYPE_HELP, 'custom')
    .option('--key <key>', `${SIGNING_KEY_HELP}; without it, attest keyless`)
    .option('--bundle <file>', 'where to write the bundle (default: stdout)')
    .option('--hash <hex>', "the file's SHA-256, instead of reading the file")
    .option('--tlog-upload [bool]', 'upload the attestation to the transparency log', parseBool, true)
    .option('--rekor-url <url>', 'the transparency log (Rekor v1 API) to upload to')
    .option('-y, --yes', 'skip confirmation prompts')
    .addHelpText(
      'after',
      `
Examples:
  sigil attest-blob --key cosign.key --type slsaprovenance1 --predicate provenance.json --bundle app.att.json app.tgz
  sigil attest-blob --yes --type spdxjson --predicate sbom.spdx.json --bundle sbom.att.json app.tgz   # keyless`,
    );
  addKeylessSignOptions(attest).action(
    action(async (file: string | undefined, opts: AttestBlobOptions) => {
      const predicateType = predicateTypeFor(opts.type);
      const predicate = buildPredicate(opts.type, readUserFile(opts.predicate, 'predicate'), opts.predicate);
      const digest = subjectDigest(file, opts.hash, 'sha256');
      const statement = buildStatement(file ? basename(file) : '', digest, predicateType, predicate);
      const { signer, tlog, tsaUrl } = await signingContext(opts);
      const bundle = await attestBlob(signer, statement, tlog, tsaUrl);
      if (opts.bundle) {
        await writeFileAtomic(opts.bundle, bundle);
        info(`Wrote bundle to file ${opts.bundle}`);
      } else printResult(bundle);
    }),
  );

  const verify = program
    .command('verify-blob-attestation')
    .description(
      'Verify an attestation bundle about a file: signature, log entry, subject digest, predicate type',
    )
    .argument('[file]', 'the file the statement must be about (or give --digest)')
    .option(
      '--bundle <file>',
      "the attestation bundle: a Sigstore bundle with a DSSE envelope, or cosign v2's legacy bundle",
    )
    .option(
      '--signature <file>',
      'the DSSE envelope instead of a bundle (what attest-blob --output-signature writes)',
    )
    .option('--key <key>', VERIFICATION_KEY_HELP)
    .option('--type <type>', `the ${TYPE_HELP}`, 'custom')
    .option('--digest <hex>', "the file's digest, instead of reading the file")
    .option('--digestAlg <alg>', 'the algorithm of --digest', 'sha256')
    .option('--check-claims [bool]', 'check the subject digest and predicate type', parseBool, true)
    .option(
      '--insecure-ignore-tlog [bool]',
      'accept attestations that are not in a transparency log',
      parseBool,
      false,
    )
    .option('-o, --output <format>', 'text or json', parseOutput, 'text')
    .addHelpText(
      'after',
      `
Examples:
  sigil verify-blob-attestation --key cosign.pub --type slsaprovenance1 --bundle app.att.json app.tgz
  sigil verify-blob-attestation --bundle oci-attestation.sigstore.json --trusted-root trusted_root.json \\
    --certificate-identity dev@example.com --certificate-oidc-issuer https://github.com/login/oauth \\
    --digest 7321...0aa4 --type https://cosign.sigstore.dev/attestation/v1`,
    );
  addKeylessVerifyOptions(verify).action(
    action(async (file: string | undefined, opts: VerifyBlobAttestationOptions) => {
      const signers = await verificationSigners(opts, opts.insecureIgnoreTlog);
      warnIfTlogIgnored(opts.insecureIgnoreTlog);
      const claims = opts.checkClaims
        ? {
            subjectDigest: subjectDigest(file, opts.digest, opts.digestAlg),
            predicateType: predicateTypeFor(opts.type),
          }
        : {};
      const result = verifyBlobAttestation(
        {
          ...signers,
          ignoreTlog: opts.insecureIgnoreTlog,
          ...configuredLogKeys(opts.trustedRoot),
          ...claims,
        },
        ...attestationInput(opts),
      );
      if (opts.output === 'json') {
        const identity = result.keyless?.identity;
        printResult(
          JSON.stringify({
            verified: true,
            predicateType: result.statement.predicateType,
            subject: result.statement.subject,
            ...(identity ? { identities: identity.subjects, issuer: identity.issuer ?? null } : {}),
          }),
        );
      } else info('Verified OK');
    }),
  );
}

/** The bundle, or the bare envelope of --signature (cosign's two ways to hand over a blob attestation). */
function attestationInput(opts: { bundle?: string; signature?: string }): [BlobBundle, string] {
  if (opts.bundle && opts.signature)
    throw new SigilError('BAD_INPUT', 'pass --bundle or --signature, not both');
  if (opts.signature) {
    const envelope = readUserFile(opts.signature, 'signature');
    return [envelopeAttestationBundle(envelope, opts.signature), opts.signature];
  }
  if (!opts.bundle) throw new SigilError('BAD_INPUT', 'nothing to verify: pass --bundle or --signature');
  return [parseBlobBundle(readUserFile(opts.bundle, 'bundle'), opts.bundle), opts.bundle];
}

/** The subject's digest: from the flag (hex, as cosign takes it) or by hashing the file. */
function subjectDigest(file: string | undefined, hex: string | undefined, algorithm: string): Digest {
  if (hex !== undefined) {
    const digest = `${algorithm}:${hex.toLowerCase()}`;
    if (!isDigest(digest))
      throw new SigilError('BAD_INPUT', `--digest ${hex}: not a ${algorithm} digest in hex`);
    return digest;
  }
  if (!file) throw new SigilError('BAD_INPUT', 'name the file, or give its digest (--digest / --hash)');
  return sha256Digest(readUserFile(file, 'file'));
}
