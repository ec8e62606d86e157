import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { readUserFile } from '../../core/index.js';
import {
  type AttachResult,
  attachAttestation,
  attachSbom,
  attachSignature,
  downloadAttestations,
  downloadSboms,
  downloadSignatures,
  type InputFile,
  sbomMediaType,
} from '../../cosign/index.js';
import { PREDICATE_TYPE_NAMES, predicateTypeFor } from '../../formats/index.js';
import { formatReference, parseReference } from '../../oci/index.js';
import { addRegistryOptions, type RegistryOptions, registryClient } from '../image-options.js';
import { parseOutput } from '../options.js';
import { info, printResult, warn } from '../output.js';
import { action } from '../run.js';

interface AttachSbomOptions extends RegistryOptions {
  sbom: string;
  type: string;
  inputFormat: string;
}

interface AttachSignatureCliOptions extends RegistryOptions {
  payload: string;
  signature: string;
  certificate?: string;
  certificateChain?: string;
  rekorResponse?: string;
  tsr?: string;
  tsaResponse?: string;
  output: 'text' | 'json';
}

interface AttachAttestationCliOptions extends RegistryOptions {
  attestation: string[];
  output: 'text' | 'json';
}

interface DownloadAttestationOptions extends RegistryOptions {
  predicateType?: string;
}

export function registerAttachCommands(program: Command): void {
  const attach = program
    .command('attach')
    .description("Attach supporting artifacts to an image (cosign's attach)");
  addRegistryOptions(
    attach
      .command('sbom')
      .description(
        'Attach an SBOM to an image, unsigned (tag sha256-<digest>.sbom); prefer attest for a signed one',
      )
      .argument('<image>', 'image reference')
      .requiredOption('--sbom <file>', 'the SBOM document')
      .option('--type <type>', 'spdx, cyclonedx or syft', 'spdx')
      .option('--input-format <format>', 'json, xml or text', 'json')
      .addHelpText(
        'after',
        '\nExamples:\n  sigil attach sbom --sbom sbom.spdx.json 127.0.0.1:5000/app@sha256:...\n  sigil attach sbom --type cyclonedx --sbom bom.json ghcr.io/org/app:v1',
      ),
  ).action(
    action(async (image: string, opts: AttachSbomOptions) => {
      const mediaType = sbomMediaType(opts.type, opts.inputFormat);
      const content = readUserFile(opts.sbom, 'SBOM');
      warn(
        'Attaching SBOMs this way does not sign them. To sign them, use `sigil attest --predicate ... --type spdxjson`.',
      );
      const result = await attachSbom(registryClient(opts), parseReference(image), content, mediaType);
      info(`Uploading SBOM file for [${image}] to [${result.reference}] with mediaType [${mediaType}].`);
    }),
  );
  registerAttachSignature(attach);
  registerAttachAttestation(attach);

  const download = program.command('download').description("Download an image's supporting artifacts");
  addRegistryOptions(
    download
      .command('sbom')
      .description('Print the SBOMs attached to an image')
      .argument('<image>', 'image reference')
      .addHelpText('after', '\nExample:\n  sigil download sbom 127.0.0.1:5000/app:v1 > sbom.spdx.json'),
  ).action(
    action(async (image: string, opts: RegistryOptions) => {
      for (const sbom of await downloadSboms(registryClient(opts), parseReference(image))) {
        info(`Found SBOM of media type: ${sbom.mediaType}`);
        printResult(sbom.content.toString('utf8'));
      }
    }),
  );
  registerDownloadSignature(download);
  registerDownloadAttestation(download);
}

function registerAttachSignature(attach: Command): void {
  addRegistryOptions(
    attach
      .command('signature')
      .description(
        "Attach a signature made elsewhere (openssl, an HSM, sign-blob) to an image's .sig artifact",
      )
      .argument('<image>', 'image reference (a tag is resolved to the digest the payload must name)')
      .requiredOption('--payload <file>', 'the simple-signing payload the signature covers')
      .requiredOption('--signature <file>', 'the signature (base64 or raw bytes), or - for stdin')
      .option('--certificate <file>', 'the signing certificate (PEM), for keyless or PKI signatures')
      .option('--certificate-chain <file>', 'the CA certificates (PEM), intermediate first, root last')
      .option('--rekor-response <file>', 'a cosign bundle from sign-blob holding the log entry (rekorBundle)')
      .option('--tsr <file>', 'an RFC 3161 timestamp response (DER) over the signature')
      .option('--tsa-response <file>', 'the same as --tsr')
      .option('--output <format>', 'text or json', parseOutput, 'text')
      .addHelpText(
        'after',
        `
The payload must be cosign's simple-signing JSON for the image's digest; it is refused otherwise.

Examples:
  openssl dgst -sha256 -sign key.pem -out payload.sig payload.json
  sigil attach signature --payload payload.json --signature payload.sig 127.0.0.1:5000/app@sha256:...
  sigil sign-blob --key cosign.key payload.json | \\
    sigil attach signature --payload payload.json --signature - ghcr.io/org/app:v1`,
      ),
  ).action(
    action(async (image: string, opts: AttachSignatureCliOptions) => {
      const optional = (path: string | undefined, what: string) =>
        path === undefined ? undefined : inputFile(path, what);
      const reference = parseReference(image);
      const result = await attachSignature({
        client: registryClient(opts),
        image: reference,
        payload: inputFile(opts.payload, 'payload'),
        signature: opts.signature === '-' ? stdinFile() : inputFile(opts.signature, 'signature'),
        certificate: optional(opts.certificate, 'certificate'),
        certificateChain: optional(opts.certificateChain, 'certificate chain'),
        rekorResponse: optional(opts.rekorResponse, 'rekor response'),
        timestampResponse: optional(opts.tsr ?? opts.tsaResponse, 'timestamp response'),
      });
      reportAttached(formatReference(reference), result, opts);
    }),
  );
}

function registerAttachAttestation(attach: Command): void {
  addRegistryOptions(
    attach
      .command('attestation')
      .description("Attach signed attestations (DSSE envelopes) made elsewhere to an image's .att artifact")
      .argument('<image>', 'image reference (a tag is resolved to the digest the statement must name)')
      .requiredOption(
        '--attestation <file>',
        'DSSE envelope JSON (one per line), or a Sigstore bundle; repeat for several files',
        (value: string, previous: string[] = []) => [...previous, value],
      )
      .option('--output <format>', 'text or json', parseOutput, 'text')
      .addHelpText(
        'after',
        `
Each envelope must carry an in-toto statement whose subject is the image's digest.

Examples:
  sigil attest-blob --key cosign.key --type slsaprovenance1 --predicate provenance.json \\
    --hash <image digest hex> --bundle att.sigstore.json
  sigil attach attestation --attestation att.sigstore.json 127.0.0.1:5000/app@sha256:...   # as a referrer
  jq -c .dsseEnvelope att.sigstore.json > att.json   # or any tool that writes DSSE envelopes
  sigil attach attestation --attestation att.json 127.0.0.1:5000/app@sha256:...           # in .att
  sigil attach attestation --attestation a.json --attestation b.json ghcr.io/org/app:v1`,
      ),
  ).action(
    action(async (image: string, opts: AttachAttestationCliOptions) => {
      const reference = parseReference(image);
      const client = registryClient(opts);
      for (const path of opts.attestation) {
        info(`Using payload from: ${path}`);
        const result = await attachAttestation({
          client,
          image: reference,
          attestation: inputFile(path, 'attestation'),
        });
        reportAttached(formatReference(reference), result, opts);
      }
    }),
  );
}

function registerDownloadSignature(download: Command): void {
  addRegistryOptions(
    download
      .command('signature')
      .description(
        "Print an image's signatures, one JSON object per line (cosign's SignedPayload, or Sigstore bundles)",
      )
      .argument('<image>', 'image reference')
      .addHelpText(
        'after',
        `
Each line has Base64Signature, Payload (base64), Cert, Chain, Bundle and RFC3161Timestamp (null when
absent). When the image has Sigstore bundles as OCI referrers, those bundles are printed instead.

Examples:
  sigil download signature 127.0.0.1:5000/app:v1
  sigil download signature ghcr.io/org/app@sha256:... | jq -r .Payload | base64 -d`,
      ),
  ).action(
    action(async (image: string, opts: RegistryOptions) => {
      for (const line of await downloadSignatures(registryClient(opts), parseReference(image))) {
        printResult(line);
      }
    }),
  );
}

function registerDownloadAttestation(download: Command): void {
  addRegistryOptions(
    download
      .command('attestation')
      .description("Print an image's attestations, one JSON per line (Sigstore bundles, then DSSE envelopes)")
      .argument('<image>', 'image reference')
      .option(
        '--predicate-type <type>',
        `only attestations of this predicate type: ${PREDICATE_TYPE_NAMES.join('|')}, or a URI`,
      )
      .addHelpText(
        'after',
        `
Examples:
  sigil download attestation 127.0.0.1:5000/app:v1
  sigil download attestation --predicate-type slsaprovenance1 ghcr.io/org/app@sha256:... | \\
    jq -r .payload | base64 -d | jq .predicate`,
      ),
  ).action(
    action(async (image: string, opts: DownloadAttestationOptions) => {
      const predicateType =
        opts.predicateType === undefined ? undefined : predicateTypeFor(opts.predicateType);
      const lines = await downloadAttestations(registryClient(opts), parseReference(image), {
        ...(predicateType === undefined ? {} : { predicateType }),
      });
      for (const line of lines) printResult(line);
    }),
  );
}

function inputFile(path: string, what: string): InputFile {
  return { content: readUserFile(path, what), source: path };
}

function stdinFile(): InputFile {
  return { content: readFileSync(0), source: 'stdin' };
}

function reportAttached(image: string, result: AttachResult, opts: { output: 'text' | 'json' }): void {
  if (opts.output === 'json') {
    printResult(
      JSON.stringify({ image, digest: result.digest, reference: result.reference, added: result.added }),
    );
    return;
  }
  info(
    result.added > 0
      ? `Attached to ${result.reference} (image ${image.includes('@') ? image : `${image}@${result.digest}`})`
      : `Already attached to ${result.reference}; nothing added`,
  );
}
