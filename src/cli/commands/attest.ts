import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { readUserFile, SigilError } from '../../core/index.js';
import { attestationJsonLines, attestImage, verifyImageAttestations } from '../../cosign/index.js';
import { buildPredicate, PREDICATE_TYPE_NAMES, predicateTypeFor } from '../../formats/index.js';
import { formatReference, parseReference } from '../../oci/index.js';
import { type AnyAllConditions, anyAllConditionsSchema, evaluateConditions } from '../../policy/index.js';
import { signImagesAsBundles } from '../image-bundles.js';
import { addRegistryOptions, type RegistryOptions, registryClient, trustedLog } from '../image-options.js';
import {
  addKeylessSignOptions,
  addKeylessVerifyOptions,
  type KeylessVerifyOptions,
  verificationSigners,
} from '../keyless.js';
import { SIGNING_KEY_HELP, VERIFICATION_KEY_HELP } from '../keys.js';
import { parseBool, parseOutput } from '../options.js';
import { info, printResult } from '../output.js';
import { action } from '../run.js';
import { type SigningOptions, signingContext } from '../signing.js';
import { reportVerifiedChecks, warnIfTlogIgnored } from '../verification-output.js';

interface AttestOptions extends RegistryOptions, SigningOptions {
  predicate: string;
  type: string;
  replace: boolean;
  upload: boolean;
  yes?: boolean;
  newBundleFormat: boolean;
  bundle?: string;
  output: 'text' | 'json';
}

interface VerifyAttestationOptions extends RegistryOptions, KeylessVerifyOptions {
  key?: string;
  type: string;
  policy?: string;
  rekorUrl?: string;
  insecureIgnoreTlog: boolean;
  newBundleFormat: boolean;
  output: 'text' | 'json';
}

const TYPE_HELP = `predicate type: ${PREDICATE_TYPE_NAMES.join('|')}, or a URI`;

export function registerAttestCommands(program: Command): void {
  const attest = program
    .command('attest')
    .description(
      'Attest facts about images (SBOM, vulnerability scan, provenance): a signed in-toto statement',
    )
    .argument('<image...>', 'image references (a tag is resolved to the digest the statement is about)')
    .requiredOption('--predicate <file>', 'the predicate: an SBOM, a scan report, a provenance document')
    .option('--type <type>', TYPE_HELP, 'custom')
    .option('--key <key>', `${SIGNING_KEY_HELP}; without it, attest keyless`)
    .option('--replace [bool]', 'replace existing attestations of the same predicate type', parseBool, false)
    .option('--tlog-upload [bool]', 'upload the attestation to the transparency log', parseBool, true)
    .option('--rekor-url <url>', 'the transparency log (Rekor v1 API) to upload to')
    .option('--upload [bool]', 'push the attestation to the registry', parseBool, true)
    .option(
      '--no-upload',
      "do not push the attestation to the registry (cosign's spelling of --upload=false)",
    )
    .option(
      '--new-bundle-format [bool]',
      'store the attestation as a Sigstore bundle referrer of the image (cosign v3), not in the .att tag',
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
  sigil attest --key cosign.key --predicate sbom.spdx.json --type spdxjson 127.0.0.1:5000/app:v1
  sigil attest --yes --predicate sbom.cdx.json --type cyclonedx ghcr.io/org/app@sha256:...   # keyless
  sigil attest --key cosign.key --predicate scan.json --type vuln --replace ghcr.io/org/app@sha256:...
  sigil attest --key cosign.key --predicate provenance.json --type slsaprovenance1 --new-bundle-format IMAGE`,
    );
  addRegistryOptions(addKeylessSignOptions(attest)).action(
    action(async (images: string[], opts: AttestOptions) => {
      const predicateType = predicateTypeFor(opts.type);
      const predicate = readUserFile(opts.predicate, 'predicate');
      const references = images.map(parseReference);
      const signing = await signingContext(opts);
      const client = registryClient(opts);
      if (opts.newBundleFormat) {
        const content = { predicateType, predicate: buildPredicate(opts.type, predicate, opts.predicate) };
        const bundled = await signImagesAsBundles(references, client, signing, content, opts);
        if (opts.output === 'json') printResult(JSON.stringify(bundled));
        return;
      }
      const results = [];
      for (const image of references) {
        const result = await attestImage({
          client,
          ...signing,
          image,
          type: opts.type,
          predicate,
          predicateSource: opts.predicate,
          replace: opts.replace,
          upload: opts.upload,
          progress: info,
        });
        results.push({
          image: formatReference(image),
          digest: result.digest,
          predicateType: result.statement.predicateType,
          attestationReference: result.attestationReference ?? null,
        });
      }
      if (opts.output === 'json') printResult(JSON.stringify(results));
    }),
  );

  const verify = program
    .command('verify-attestation')
    .description(
      'Verify the attestations of images: signature, log entry, subject digest, predicate type, policy',
    )
    .argument('<image...>', 'image references')
    .option('--key <key>', VERIFICATION_KEY_HELP)
    .option('--type <type>', `only attestations of this ${TYPE_HELP}`, 'custom')
    .option(
      '--policy <file>',
      'conditions every attestation predicate must meet: Kyverno any/all blocks (YAML or JSON)',
    )
    .option(
      '--insecure-ignore-tlog [bool]',
      'accept attestations that are not in a transparency log',
      parseBool,
      false,
    )
    .option(
      '--rekor-url <url>',
      'the transparency log to fetch inclusion proofs from (its key: SIGSTORE_REKOR_PUBLIC_KEY)',
    )
    .option(
      '--new-bundle-format [bool]',
      'also accept attestation bundles stored as OCI 1.1 referrers (cosign v3); false: only the .att tag',
      parseBool,
      true,
    )
    .option(
      '-o, --output <format>',
      'json (one DSSE envelope per line, as cosign) or text',
      parseOutput,
      'json',
    )
    .addHelpText(
      'after',
      `
Exit code 0 when every image has at least one valid attestation of the type (meeting the policy), 1 otherwise.

Examples:
  sigil verify-attestation --key cosign.pub --type spdxjson 127.0.0.1:5000/app:v1
  sigil verify-attestation --type vuln --key cosign.pub --policy no-criticals.yaml ghcr.io/org/app@sha256:...
  sigil verify-attestation --type cyclonedx --certificate-identity-regexp '^https://github.com/org/' \\
    --certificate-oidc-issuer https://token.actions.githubusercontent.com ghcr.io/org/app@sha256:...

A policy file (conditions over the predicate, as in a Kyverno verifyImages attestation):
  all:
    - key: "{{ scanner.result.summary.CRITICAL || \`0\` }}"
      operator: Equals
      value: 0
      message: no critical vulnerabilities`,
    );
  addRegistryOptions(addKeylessVerifyOptions(verify)).action(
    action(async (images: string[], opts: VerifyAttestationOptions) => {
      const predicateType = predicateTypeFor(opts.type);
      const policy = opts.policy ? loadConditions(opts.policy) : undefined;
      const signers = await verificationSigners(opts, opts.insecureIgnoreTlog);
      const client = registryClient(opts);
      warnIfTlogIgnored(opts.insecureIgnoreTlog);
      for (const image of images.map(parseReference)) {
        const result = await verifyImageAttestations({
          client,
          image,
          ...signers,
          predicateType,
          ignoreTlog: opts.insecureIgnoreTlog,
          ...trustedLog(opts.rekorUrl, opts.trustedRoot),
          bundles: opts.newBundleFormat,
        });
        if (policy) {
          for (const attestation of result.verified) {
            const outcome = evaluateConditions(policy, attestation.statement.predicate);
            if (!outcome.passed) {
              throw new SigilError(
                'POLICY_VIOLATION',
                `${formatReference(image)}: attestation ${attestation.layer.digest} fails the policy ${opts.policy}: ${outcome.message}`,
              );
            }
          }
        }
        reportVerifiedChecks(
          formatReference(image),
          [
            'The cosign claims were validated',
            ...(policy ? [`The attestations satisfy the conditions of ${opts.policy}`] : []),
          ],
          'keyless' in signers,
        );
        if (opts.output === 'json') for (const line of attestationJsonLines(result)) printResult(line);
        else for (const a of result.verified) printResult(`${a.predicateType} ${a.layer.digest}`);
      }
    }),
  );
}

/** A policy file: one any/all block, a list of them, or `{conditions: [...]}` as in a Kyverno rule. */
function loadConditions(file: string): AnyAllConditions[] {
  // cosign's --policy takes Rego or CUE: say so rather than fail on the file's syntax.
  if (/\.(rego|cue)$/i.test(file)) {
    throw new SigilError(
      'BAD_INPUT',
      `${file}: --policy takes Kyverno any/all conditions over the predicate (YAML or JSON), not cosign's Rego or CUE`,
    );
  }
  const text = readUserFile(file, 'policy').toString('utf8');
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (err) {
    throw new SigilError('BAD_INPUT', `${file}: not YAML or JSON: ${(err as Error).message.split('\n')[0]}`);
  }
  const wrapped =
    document && typeof document === 'object' && !Array.isArray(document) && 'conditions' in document
      ? (document as { conditions: unknown }).conditions
      : document;
  const blocks = Array.isArray(wrapped) ? wrapped : [wrapped];
  return blocks.map((block, i) => {
    const parsed = anyAllConditionsSchema.safeParse(block);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const path = [`conditions[${i}]`, ...(issue?.path ?? []).map(String)].join('.');
      throw new SigilError('BAD_INPUT', `${file}: ${path}: ${issue?.message ?? 'invalid'}`);
    }
    return parsed.data;
  });
}
