/** `sigil serve` (the whole private stack), `sigil ca` and `sigil oidc` (the parts alone). */
import { join } from 'node:path';
import type { Command } from 'commander';
import {
  type CaMaterial,
  CertificateAuthority,
  type CtLog,
  ctLogClient,
  embeddedCtLog,
  type IssuerConfig,
  initCaMaterial,
  loadCaMaterial,
  parseFulcioConfig,
  startCa,
  TokenVerifier,
} from '../../ca/index.js';
import { callService, readUserFile, SigilError } from '../../core/index.js';
import { loadPublicKeyPem } from '../../crypto/index.js';
import { DEV_IDENTITY_KINDS, type DevIdentityKind, startDevIssuer } from '../../oidc/index.js';
import { startStack } from '../../server/index.js';
import { PostgresLogStorage } from '../../tlog/index.js';
import { parseAddress, parseHttpUrl } from '../address.js';
import {
  addCaKeyOptions,
  addHsmOptions,
  type CaKeyOptions,
  type HsmOptions,
  heldCaKey,
  tokenCa,
} from '../ca-key-options.js';
import { parseOutput } from '../options.js';
import { info, printResult, warn } from '../output.js';
import { action } from '../run.js';
import { closeOnSignal } from '../serving.js';
import { reportTufRefresh } from './tuf.js';

interface CaServeOptions extends CaKeyOptions {
  addr: string;
  config: string;
  ctLogUrl?: string;
  ctLogPublicKey?: string;
  ctLogDatabase?: string;
}

/** The CA's own CT log: SQLite in its data directory, or PostgreSQL shared by CA replicas. */
async function ownCtLog(opts: CaServeOptions, material: CaMaterial): Promise<CtLog> {
  const path = join(opts.dataDir, 'ctlog.db');
  if (!opts.ctLogDatabase) return embeddedCtLog(path, material);
  return embeddedCtLog(path, material, await PostgresLogStorage.connect(opts.ctLogDatabase));
}

function externalCtLog(opts: CaServeOptions) {
  const key = opts.ctLogPublicKey;
  return ctLogClient(
    opts.ctLogUrl as string,
    key === undefined
      ? undefined
      : loadPublicKeyPem(readUserFile(key, 'CT log public key').toString('utf8'), key),
  );
}

const DEV_ISSUER_WARNING =
  'the development OIDC issuer gives any identity to anyone who asks: use it for local work and tests only';

export function registerServeCommands(program: Command): void {
  addHsmOptions(program.command('serve'))
    .description('Run the private Sigstore stack: CA, transparency log, dev OIDC issuer and OCI registry')
    .option('--data-dir <dir>', 'where keys, the log, the registry and the trust files live', './.sigil')
    .option('--host <host>', 'address every service listens on', '127.0.0.1')
    .option('--registry-port <port>', 'OCI registry port', '5000')
    .option('--tlog-port <port>', 'transparency log port', '3000')
    .option('--ca-port <port>', 'certificate authority port', '5555')
    .option('--oidc-port <port>', 'dev OIDC issuer port', '8080')
    .option('--tsa-port <port>', 'timestamp authority port', '3030')
    .option('--tuf-port <port>', 'TUF repository port (the mirror for initialize)', '8088')
    .option('--console-port <port>', 'web console port (read-only, at /ui/)', '9000')
    .option(
      '--rekor-api-version <n>',
      'log API named in signing_config.json: 1 (Rekor v1, SETs) or 2 (Rekor v2, times from the TSA)',
      '1',
    )
    .option('--ca-config <file>', "extra trusted OIDC issuers, in Fulcio's config format (JSON or YAML)")
    .option('--output <format>', 'text or json (the URLs and file paths)', parseOutput, 'text')
    .addHelpText(
      'after',
      `
Writes <data-dir>/trusted_root.json (for verifiers) and <data-dir>/signing_config.json (for signers);
sigil sign/verify in the directory above <data-dir> find them without flags. Both are also published as
the targets of a TUF repository (<data-dir>/tuf, re-signed before expiry): clients elsewhere run
  sigil initialize --mirror http://127.0.0.1:8088 --root <data-dir>/tuf/repository/root.json
  (or cosign initialize with the same flags) and need no trust flags after that.

Examples:
  sigil serve
  TOKEN=$(sigil oidc token --issuer-url http://127.0.0.1:8080 --kind github-actions --repository org/app)
  sigil sign --yes --identity-token "$TOKEN" 127.0.0.1:5000/app@sha256:...
  sigil verify --certificate-identity-regexp '^https://github.com/org/' \\
    --certificate-oidc-issuer http://127.0.0.1:8080/github-actions 127.0.0.1:5000/app@sha256:...
  # the CA key on a PKCS#11 token (created once with sigil ca init --data-dir .sigil/ca and the same flags)
  sigil serve --pkcs11-config-path crypto11.conf --hsm-caroot-id 99`,
    )
    .action(
      action(async (opts: ServeOptions) => {
        const token = tokenCa(opts);
        const stack = await startStack({
          ...(token ? { tokenCa: token } : {}),
          dataDir: opts.dataDir,
          host: opts.host,
          ports: {
            registry: Number(opts.registryPort),
            tlog: Number(opts.tlogPort),
            ca: Number(opts.caPort),
            oidc: Number(opts.oidcPort),
            tsa: Number(opts.tsaPort),
            tuf: Number(opts.tufPort),
            console: Number(opts.consolePort),
          },
          onTufRefresh: reportTufRefresh,
          rekorApiVersion: parseApiVersion(opts.rekorApiVersion),
          ...(opts.caConfig ? { extraIssuers: readIssuers(opts.caConfig) } : {}),
        });
        if (opts.output === 'json') {
          printResult(
            JSON.stringify({
              ...stack.urls,
              issuers: stack.issuers,
              trustedRoot: stack.trustedRootPath,
              signingConfig: stack.signingConfigPath,
              tufRoot: stack.tufRootPath,
            }),
          );
        } else {
          info(`registry            ${stack.urls.registry}`);
          info(`transparency log    ${stack.urls.tlog}`);
          info(`certificate auth.   ${stack.urls.ca}`);
          info(
            `dev OIDC issuer     ${stack.urls.oidc}  (issuers: ${Object.values(stack.issuers).join(', ')})`,
          );
          info(`timestamp authority ${stack.urls.tsa}`);
          info(`trusted root        ${stack.trustedRootPath}`);
          info(`signing config      ${stack.signingConfigPath}`);
          info(`TUF mirror          ${stack.urls.tuf}  (root: ${stack.tufRootPath})`);
          info(`web console         ${stack.urls.console}`);
        }
        warn(DEV_ISSUER_WARNING);
        closeOnSignal(stack.close);
      }),
    );

  const ca = program.command('ca').description('The certificate authority (Fulcio v2 API) alone');
  addCaKeyOptions(ca.command('init'))
    .description('Create the CA: root, intermediate, their keys, and the CT log key')
    .option('--data-dir <dir>', 'where the CA files are written', './.sigil/ca')
    .option('--organization <name>', 'organization name in the CA certificates', 'sigil')
    .addHelpText(
      'after',
      `
Examples:
  sigil ca init --data-dir ./.sigil/ca --organization "Example Corp"
  # as fulcio createca: the token key labelled PKCS11CA becomes the root; its certificate is stored on
  # the token under ID 99 (and copied to chain.pem); no CA key is written to disk
  sigil ca init --pkcs11-config-path crypto11.conf --hsm-caroot-id 99
  # as Fulcio's kmsca: the KMS key becomes the root (it never leaves the KMS); its certificate goes to
  # chain.pem (a chain already there, e.g. from your own PKI, is checked and kept)
  sigil ca init --kms-resource awskms:///alias/sigil-ca --kms-cert-chain-path ./.sigil/ca/chain.pem`,
    )
    .action(
      action(async (opts: { organization: string } & CaKeyOptions) => {
        const material = await initCaMaterial(opts.dataDir, opts.organization, await heldCaKey(opts));
        info(
          `CA created in ${opts.dataDir}: ${material.chain.map((cert) => cert.subject.replace(/\n/g, ', ')).join(' <- ')}`,
        );
      }),
    );
  addCaKeyOptions(ca.command('serve'))
    .description('Issue short-lived code-signing certificates for OIDC identities')
    .option('--addr <host:port>', 'address to listen on', '127.0.0.1:5555')
    .option('--data-dir <dir>', 'the CA files (sigil ca init)', './.sigil/ca')
    .requiredOption('--config <file>', "trusted OIDC issuers, in Fulcio's config format (JSON or YAML)")
    .option(
      '--ct-log-url <url>',
      'an external RFC 6962 log for the precertificates (default: the CA runs its own, at /ct/v1/)',
    )
    .option('--ct-log-public-key <file>', "that log's public key (PEM), to check its SCTs before use")
    .option(
      '--ct-log-database <url>',
      "postgres://user@host/db: keep the CA's own CT log in PostgreSQL (a database of its own, not the Rekor log's), so that several CA replicas with the same --data-dir files share it",
    )
    .addHelpText(
      'after',
      `
Config example (Fulcio's format):
  {"OIDCIssuers": {"https://token.actions.githubusercontent.com":
     {"IssuerURL": "https://token.actions.githubusercontent.com", "ClientID": "sigstore", "Type": "github-workflow"}}}

Issuer types (Type) and the fields they need:
  email, github-workflow, gitlab-pipeline, buildkite-job, codefresh-workflow, chainguard-identity, kubernetes
  spiffe       SPIFFETrustDomain: the trust domain the token's sub (a SPIFFE ID) must be in
  uri          SubjectDomain: URL whose scheme and host the sub URI must have (in the issuer's domain)
  username     SubjectDomain: domain name; the certificate names "sub!SubjectDomain"
  ci-provider  CIProvider: a key of the top-level "CIIssuerMetadata" map, whose entries hold
               DefaultTemplateValues, ExtensionTemplates and SubjectAlternativeNameTemplate
               (Go-template subset: {{ .claim }}, {{ index . "claim" }}, {{ if eq X Y }}...{{ else }}...{{ end }})
  "MetaIssuers" takes wildcard issuer URLs, e.g. "https://oidc.eks.*.amazonaws.com/id/*" (not for spiffe).

The same in Fulcio's YAML form (kebab-case keys: oidc-issuers, meta-issuers, ci-issuer-metadata,
issuer-url, client-id, type, spiffe-trust-domain, subject-domain, ci-provider, ...):
  oidc-issuers:
    https://token.actions.githubusercontent.com:
      issuer-url: https://token.actions.githubusercontent.com
      client-id: sigstore
      type: github-workflow

Example:
  sigil ca serve --addr 0.0.0.0:5555 --data-dir ./.sigil/ca --config fulcio-config.json
  sigil ca serve --config fulcio-config.yaml --pkcs11-config-path crypto11.conf --hsm-caroot-id 99
  sigil ca serve --config fulcio-config.json --kms-resource awskms:///alias/sigil-ca \\
    --kms-cert-chain-path ./.sigil/ca/chain.pem
  sigil ca serve --config fulcio-config.json --ct-log-url http://ctlog.internal --ct-log-public-key ctlog.pub
  sigil ca serve --config fulcio-config.json --ct-log-database postgres://sigil@db.internal/sigil_ct   (on several hosts)`,
    )
    .action(
      action(async (opts: CaServeOptions) => {
        const { host, port } = parseAddress(opts.addr);
        if (opts.ctLogUrl && opts.ctLogDatabase) {
          throw new SigilError('BAD_INPUT', '--ct-log-url and --ct-log-database exclude each other');
        }
        const material = await loadCaMaterial(opts.dataDir, await heldCaKey(opts));
        const ownLog = opts.ctLogUrl ? undefined : await ownCtLog(opts, material);
        const ctLog = ownLog ?? externalCtLog(opts);
        const authority = new CertificateAuthority(
          material,
          new TokenVerifier(readIssuers(opts.config)),
          ctLog,
        );
        const server = await startCa(authority, host, port, ownLog);
        info(`certificate authority listening on ${server.url}`);
        info(
          ownLog ? `CT log at ${server.url}/ct/v1/` : `precertificates go to the CT log at ${opts.ctLogUrl}`,
        );
        closeOnSignal(async () => {
          await server.close();
          await ownLog?.close();
        });
      }),
    );

  const oidc = program.command('oidc').description('The development OIDC issuer');
  oidc
    .command('serve')
    .description('Serve discovery, JWKS and a token endpoint minting tokens for people and CI jobs')
    .option('--addr <host:port>', 'address to listen on', '127.0.0.1:8080')
    .option(
      '--issuer-url <url>',
      'the URL clients and the CA reach it at, which its tokens name (default: the address it listens on)',
    )
    .addHelpText(
      'after',
      `
Issuers: <url>/email, <url>/github-actions, <url>/gitlab (one per identity kind).

Examples:
  sigil oidc serve --addr 127.0.0.1:8080
  sigil oidc serve --addr 0.0.0.0:8080 --issuer-url http://oidc.sigstore.svc:8080
  curl -s -X POST -H 'content-type: application/json' \\
    -d '{"kind":"github-actions","repository":"org/app"}' http://127.0.0.1:8080/token`,
    )
    .action(
      action(async (opts: { addr: string; issuerUrl?: string }) => {
        const { host, port } = parseAddress(opts.addr);
        const server = await startDevIssuer(host, port, {
          ...(opts.issuerUrl ? { publicUrl: parseHttpUrl(opts.issuerUrl, '--issuer-url') } : {}),
        });
        info(
          `dev OIDC issuer listening on ${server.url} (issuers: ${Object.values(server.issuers).join(', ')})`,
        );
        warn(DEV_ISSUER_WARNING);
        closeOnSignal(server.close);
      }),
    );
  oidc
    .command('token')
    .description('Get an identity token from a dev OIDC issuer (prints the JWT)')
    .requiredOption('--issuer-url <url>', 'the dev issuer (sigil oidc serve or sigil serve)')
    .option('--kind <kind>', `identity kind: ${DEV_IDENTITY_KINDS.join(', ')}`, 'email')
    .option('--email <email>', 'email identity')
    .option('--repository <owner/name>', 'CI repository')
    .option('--ref <ref>', 'git ref, e.g. refs/heads/main')
    .option('--workflow <file>', 'GitHub workflow file name, e.g. release.yml')
    .option('--audience <aud>', 'token audience', 'sigstore')
    .option('--ttl <seconds>', 'lifetime in seconds (negative: an expired token, for tests)', '600')
    .addHelpText(
      'after',
      '\nExample:\n  sigil oidc token --issuer-url http://127.0.0.1:8080 --kind github-actions --repository org/app',
    )
    .action(
      action(async (opts: TokenOptions) => {
        const url = `${opts.issuerUrl.replace(/\/$/, '')}/token`;
        const response = await callService('POST', url, {
          body: {
            kind: opts.kind,
            audience: opts.audience,
            ttlSeconds: Number(opts.ttl),
            ...(opts.email ? { email: opts.email } : {}),
            ...(opts.repository ? { repository: opts.repository } : {}),
            ...(opts.ref ? { ref: opts.ref } : {}),
            ...(opts.workflow ? { workflow: opts.workflow } : {}),
          },
          timeoutMs: 10_000,
          unreachableHint: 'is `sigil oidc serve` (or `sigil serve`) running at --issuer-url?',
        });
        const answer = (await response.json()) as { id_token?: unknown };
        if (typeof answer.id_token !== 'string') {
          throw new SigilError('SERVICE_ERROR', `POST ${url}: the answer has no id_token`);
        }
        printResult(answer.id_token);
      }),
    );
}

interface ServeOptions extends HsmOptions {
  dataDir: string;
  host: string;
  registryPort: string;
  tlogPort: string;
  caPort: string;
  oidcPort: string;
  tsaPort: string;
  tufPort: string;
  consolePort: string;
  rekorApiVersion: string;
  caConfig?: string;
  output: 'text' | 'json';
}

interface TokenOptions {
  issuerUrl: string;
  kind: DevIdentityKind;
  email?: string;
  repository?: string;
  ref?: string;
  workflow?: string;
  audience: string;
  ttl: string;
}

function parseApiVersion(value: string): 1 | 2 {
  if (value !== '1' && value !== '2')
    throw new SigilError('BAD_INPUT', `--rekor-api-version must be 1 or 2, not "${value}"`);
  return value === '1' ? 1 : 2;
}

function readIssuers(path: string): IssuerConfig[] {
  return parseFulcioConfig(readUserFile(path, 'CA config'), path);
}
