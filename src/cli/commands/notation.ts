/**
 * `sigil notation ...`: the Notation (Notary Project) commands with notation's names, flags and files
 * (sign, verify, ls, inspect here; key and cert in notation-config.ts).
 */
import { readFileSync } from 'node:fs';
import { type Command, InvalidArgumentError } from 'commander';
import { SigilError } from '../../core/index.js';
import {
  artifactSignatures,
  createRevocationChecker,
  createTimestampVerifier,
  fetchSignatures,
  findSigningKey,
  inspectSignature,
  loadNotationSigner,
  loadTrustPolicy,
  loadTrustStore,
  type NotationVerification,
  notationConfigDir,
  parseEnvelope,
  readCertificateFile,
  signArtifact,
  verifyReference,
} from '../../notation/index.js';
import {
  fixedCredentials,
  parseReference,
  RegistryClient,
  type RegistryClientOptions,
} from '../../oci/index.js';
import { parseGoDuration } from '../cosign-root-options.js';
import { parseOutput } from '../options.js';
import { info, printResult } from '../output.js';
import { action } from '../run.js';
import { registerNotationConfigCommands } from './notation-config.js';

interface RegistryFlags {
  plainHttp?: boolean;
  insecureRegistry?: boolean;
  username?: string;
  password?: string;
}

function addNotationRegistryOptions(command: Command): Command {
  return command
    .option('--plain-http', 'use plain HTTP to the registry (loopback registries always use it)')
    .option('--insecure-registry', 'deprecated alias of --plain-http')
    .option('-u, --username <name>', 'registry username')
    .option('-p, --password <password>', 'registry password or identity token');
}

function notationClient(flags: RegistryFlags): RegistryClient {
  const options: RegistryClientOptions = { insecure: Boolean(flags.plainHttp || flags.insecureRegistry) };
  if (flags.username !== undefined || flags.password !== undefined) {
    options.credentials = fixedCredentials({
      username: flags.username ?? '',
      password: flags.password ?? '',
    });
  }
  return new RegistryClient(options);
}

function collectMetadata(value: string, previous: Record<string, string>): Record<string, string> {
  const equals = value.indexOf('=');
  if (equals <= 0) throw new InvalidArgumentError(`expected key=value, got "${value}"`);
  return { ...previous, [value.slice(0, equals)]: value.slice(equals + 1) };
}

function signingAgent(): string {
  const { version } = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return `sigil/${version}`;
}

interface SignFlags extends RegistryFlags {
  key?: string;
  signatureFormat: 'jws' | 'cose';
  expiry?: number;
  userMetadata: Record<string, string>;
  timestampUrl?: string;
  timestampRootCert?: string;
}

interface VerifyFlags extends RegistryFlags {
  userMetadata: Record<string, string>;
  output: 'text' | 'json';
  maxSignatures: number;
}

export function registerNotationCommands(program: Command): void {
  const notation = program
    .command('notation')
    .description(
      "Sign and verify artifacts with Notation (Notary Project) signatures, with notation's files",
    );
  addNotationRegistryOptions(
    notation
      .command('sign')
      .description('Sign an artifact: a JWS or COSE envelope pushed as an OCI referrer of it')
      .argument('<reference>', 'registry/repo:tag or registry/repo@sha256:...')
      .option('-k, --key <name>', 'signing key name in signingkeys.json (default: the default key)')
      .option(
        '--signature-format <format>',
        'jws or cose',
        (v) => {
          if (v !== 'jws' && v !== 'cose') throw new InvalidArgumentError('jws or cose');
          return v;
        },
        'jws',
      )
      .option(
        '-e, --expiry <duration>',
        'signature expiry after the signing time (e.g. 24h)',
        parseGoDuration,
      )
      .option(
        '-m, --user-metadata <key=value>',
        'user metadata, signed as payload annotations',
        collectMetadata,
        {},
      )
      .option('--timestamp-url <url>', 'RFC 3161 timestamp authority to countersign the signature')
      .option(
        '--timestamp-root-cert <file>',
        'root certificate of the timestamp authority (with --timestamp-url)',
      ),
  )
    .addHelpText('after', '\nExample:\n  sigil notation sign --key wabbit-networks.io 127.0.0.1:5000/app:v1')
    .action(
      action(async (reference: string, flags: SignFlags) => {
        if (Boolean(flags.timestampUrl) !== Boolean(flags.timestampRootCert)) {
          throw new SigilError('BAD_INPUT', '--timestamp-url and --timestamp-root-cert go together');
        }
        const timestampRoots = flags.timestampRootCert ? readCertificateFile(flags.timestampRootCert) : [];
        const configDir = notationConfigDir();
        const signer = loadNotationSigner(findSigningKey(configDir, flags.key));
        try {
          const ref = parseReference(reference);
          if (!ref.digest) {
            info(
              `Warning: Always sign the artifact using digest(@sha256:...) rather than a tag(:${ref.tag ?? 'latest'}) because tags are mutable and a tag reference can point to a different artifact than the one signed.`,
            );
          }
          const result = await signArtifact(notationClient(flags), ref, {
            signer,
            format: flags.signatureFormat,
            ...(flags.expiry === undefined ? {} : { expiryMs: flags.expiry }),
            userMetadata: flags.userMetadata,
            ...(flags.timestampUrl ? { timestampUrl: flags.timestampUrl, timestampRoots } : {}),
            signingAgent: signingAgent(),
          });
          printResult(`Successfully signed ${ref.registry}/${ref.repository}@${result.target.digest}`);
          info(`Pushed the signature to ${ref.registry}/${ref.repository}@${result.signature}`);
        } finally {
          signer.close();
        }
      }),
    );
  addNotationRegistryOptions(
    notation
      .command('verify')
      .description('Verify the Notation signatures of an artifact with trustpolicy.json and the trust store')
      .argument('<reference>', 'registry/repo:tag or registry/repo@sha256:...')
      .option(
        '-m, --user-metadata <key=value>',
        'user metadata the signature must carry',
        collectMetadata,
        {},
      )
      .option('--max-signatures <n>', 'most signatures to try', (v) => Number.parseInt(v, 10), 100)
      .option('-o, --output <format>', 'text or json', parseOutput, 'text'),
  ).action(
    action(async (reference: string, flags: VerifyFlags) => {
      const configDir = notationConfigDir();
      const ref = parseReference(reference);
      const outcome = await verifyReference(notationClient(flags), ref, {
        trustPolicy: loadTrustPolicy(configDir),
        trustStore: (type, name) => loadTrustStore(configDir, type, name),
        revocation: createRevocationChecker(),
        timestamp: createTimestampVerifier(),
        userMetadata: flags.userMetadata,
        maxSignatures: flags.maxSignatures,
      });
      const shown = outcome.artifact.reference;
      if (flags.output === 'json') printResult(JSON.stringify(verificationJson(outcome)));
      if (outcome.skipped) {
        if (flags.output !== 'json')
          printResult(`Trust policy is configured to skip signature verification for ${shown}`);
        return;
      }
      if (!outcome.verified) throw verificationFailure(shown, outcome);
      for (const check of outcome.verified.checks.filter((c) => c.error)) {
        info(`Warning: ${check.type} was set to "${check.action}" and failed with error: ${check.error}`);
      }
      if (flags.output !== 'json') {
        printResult(`Successfully verified signature for ${shown}`);
        const metadata = outcome.verified.userMetadata ?? {};
        if (Object.keys(metadata).length > 0) {
          printResult(
            `\nThe artifact was signed with the following user metadata.\n\nKEY\tVALUE\n${Object.entries(
              metadata,
            )
              .map(([k, v]) => `${k}\t${v}`)
              .join('\n')}`,
          );
        }
      }
    }),
  );
  addNotationRegistryOptions(
    notation
      .command('ls')
      .alias('list')
      .description('List the Notation signatures of an artifact')
      .argument('<reference>', 'registry/repo:tag or registry/repo@sha256:...'),
  ).action(
    action(async (reference: string, flags: RegistryFlags) => {
      const found = await artifactSignatures(notationClient(flags), parseReference(reference));
      if (found.signatures.length === 0) {
        printResult(`${found.reference} has no associated signature`);
        return;
      }
      const lines = [found.reference, '└── application/vnd.cncf.notary.signature'];
      found.signatures.forEach((s, i) => {
        lines.push(`    ${i === found.signatures.length - 1 ? '└──' : '├──'} ${s.digest}`);
      });
      printResult(lines.join('\n'));
    }),
  );
  addNotationRegistryOptions(
    notation
      .command('inspect')
      .description(
        'Show the signatures of an artifact: attributes, certificates, signed artifact (not verified)',
      )
      .argument('<reference>', 'registry/repo:tag or registry/repo@sha256:...')
      .option('-o, --output <format>', 'text or json', parseOutput, 'text'),
  ).action(
    action(async (reference: string, flags: RegistryFlags & { output: 'text' | 'json' }) => {
      const client = notationClient(flags);
      const ref = parseReference(reference);
      const found = await artifactSignatures(client, ref);
      const fetched = await fetchSignatures(client, ref, found);
      const signatures = fetched.map((s) =>
        inspectSignature(
          s.digest,
          s.mediaType,
          parseEnvelope(s.mediaType, s.envelope, `signature ${s.digest}`),
        ),
      );
      if (flags.output === 'json') {
        // `Signatures`, capitalised: the key notation prints.
        printResult(JSON.stringify({ mediaType: found.target.mediaType, Signatures: signatures }, null, 4));
        return;
      }
      const lines = [`${found.reference}`, '└── application/vnd.cncf.notary.signature'];
      for (const s of signatures) {
        lines.push(
          `    └── ${s.digest}`,
          `        ├── media type: ${s.mediaType}`,
          `        ├── signature algorithm: ${s.signatureAlgorithm}`,
        );
        lines.push('        ├── signed attributes');
        for (const [k, v] of Object.entries(s.signedAttributes)) lines.push(`        │   ├── ${k}: ${v}`);
        lines.push('        ├── user defined attributes');
        for (const [k, v] of Object.entries(s.userDefinedAttributes ?? {}))
          lines.push(`        │   ├── ${k}: ${v}`);
        lines.push('        ├── unsigned attributes');
        if (s.unsignedAttributes.signingAgent)
          lines.push(`        │   ├── signingAgent: ${s.unsignedAttributes.signingAgent}`);
        lines.push('        ├── certificates');
        for (const c of s.certificates) {
          lines.push(
            `        │   └── SHA256 fingerprint: ${c.SHA256Fingerprint}`,
            `        │       ├── issued to: ${c.issuedTo}`,
            `        │       ├── issued by: ${c.issuedBy}`,
            `        │       └── expiry: ${c.expiry}`,
          );
        }
        lines.push(
          '        └── signed artifact',
          `            ├── media type: ${s.signedArtifact.mediaType}`,
          `            ├── digest: ${s.signedArtifact.digest}`,
          `            └── size: ${s.signedArtifact.size}`,
        );
      }
      printResult(lines.join('\n'));
    }),
  );
  registerNotationConfigCommands(notation);
}

function verificationJson(outcome: NotationVerification & { artifact: { reference: string } }) {
  return {
    reference: outcome.artifact.reference,
    trustPolicy: outcome.policy.name,
    level: outcome.policy.level,
    skipped: outcome.skipped,
    verified: Boolean(outcome.verified) || outcome.skipped,
    signatures: outcome.results.map((r) => ({
      digest: r.digest,
      mediaType: r.mediaType,
      verified: r.verified,
      ...(r.error ? { error: r.error } : {}),
      checks: r.checks,
      ...(r.userMetadata ? { userMetadata: r.userMetadata } : {}),
    })),
  };
}

/** One line: how many signatures were tried and why the first was refused. */
function verificationFailure(reference: string, outcome: NotationVerification): SigilError {
  if (outcome.results.length === 0) {
    return new SigilError(
      'NO_SIGNATURES',
      `no signature is associated with ${reference}, make sure the artifact was signed successfully`,
    );
  }
  const first = outcome.results[0];
  const more =
    outcome.results.length > 1 ? ` (and ${outcome.results.length - 1} more signature(s) failed)` : '';
  return new SigilError(
    first?.error?.startsWith('integrity') ? 'SIGNATURE_MISMATCH' : 'POLICY_VIOLATION',
    `signature verification failed for ${reference}: ${first?.digest}: ${first?.error}${more}`,
  );
}
