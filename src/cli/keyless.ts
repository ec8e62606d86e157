/**
 * Keyless options shared by the signing and verifying commands: where the CA and log are (flags, a
 * signing_config.json, or the one `sigil serve` wrote under ./.sigil), where the identity token comes
 * from, and which trusted root and identities a verification accepts. No public-good URL is a default:
 * a private deployment never talks to the public Sigstore by accident.
 */
import type { KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { TrustedRoot } from '@sigstore/protobuf-specs';
import type { Command } from 'commander';
import { isRecord, parseJson, readUserFile, SigilError } from '../core/index.js';
import { keylessSigner } from '../cosign/index.js';
import type { Signer } from '../crypto/index.js';
import { resolveIdentityToken } from '../oidc/sources/index.js';
import {
  compileIdentityPolicy,
  type KeylessTrust,
  parseTrustedRoot,
  requireTrustedLogs,
  trustedRootWith,
} from '../verify/index.js';
import { loadVerificationKeyRef } from './keys.js';
import { parseBool } from './options.js';
import { info, warn } from './output.js';
import { tufTarget } from './tuf-trust.js';

const DEFAULT_SIGNING_CONFIG = '.sigil/signing_config.json';
const DEFAULT_TRUSTED_ROOT = '.sigil/trusted_root.json';

export interface KeylessSignOptions {
  fulcioUrl?: string;
  rekorUrl?: string;
  signingConfig?: string;
  identityToken?: string;
  oidcIssuer?: string;
  oidcClientId: string;
  timestampServerUrl?: string;
}

export function addKeylessSignOptions(command: Command): Command {
  return command
    .option('--fulcio-url <url>', 'the certificate authority (Fulcio v2 API) for keyless signing')
    .option(
      '--signing-config <file>',
      `signing_config.json naming the CA and log (default: $SIGIL_SIGNING_CONFIG, else the one from TUF after sigil initialize, else ${DEFAULT_SIGNING_CONFIG} if present)`,
    )
    .option('--identity-token <token|file>', 'OIDC identity token for keyless signing, or a file holding it')
    .option('--oidc-issuer <url>', 'the OIDC issuer for interactive login')
    .option('--oidc-client-id <id>', 'the OIDC client id for interactive login', 'sigstore')
    .option(
      '--timestamp-server-url <url>',
      'an RFC 3161 timestamp authority to countersign the signature (a trusted signing time)',
    );
}

/** The CA and log a keyless signature uses: flags first, then the signing config. */
export function keylessServices(opts: KeylessSignOptions): { fulcioUrl: string; rekorUrl?: string } {
  const config = signingConfigUrls(opts.signingConfig);
  const fulcioUrl = opts.fulcioUrl ?? config?.caUrl;
  if (!fulcioUrl) {
    throw new SigilError(
      'BAD_INPUT',
      'keyless signing needs a certificate authority: none is configured',
      `pass --fulcio-url or --signing-config (sigil serve writes ${DEFAULT_SIGNING_CONFIG}), run sigil initialize, or sign with --key`,
    );
  }
  const rekorUrl = opts.rekorUrl ?? config?.rekorUrl;
  return { fulcioUrl, ...(rekorUrl ? { rekorUrl } : {}) };
}

export async function loadKeylessSigner(opts: KeylessSignOptions, fulcioUrl: string): Promise<Signer> {
  const { token, source } = await resolveIdentityToken({
    ...(opts.identityToken !== undefined ? { flag: opts.identityToken } : {}),
    env: process.env,
    interactive: process.stdin.isTTY === true && process.stderr.isTTY === true,
    ...(opts.oidcIssuer ? { issuerUrl: opts.oidcIssuer } : {}),
    clientId: opts.oidcClientId,
    log: info,
  });
  info(`Using the identity token from ${source}; requesting a certificate from ${fulcioUrl}`);
  return keylessSigner(fulcioUrl, token);
}

/**
 * A trust document: the flag, else the environment variable, else the TUF-distributed target (after
 * `sigil initialize`), else the file `sigil serve` wrote under ./.sigil if present.
 */
function trustDocument(
  flag: string | undefined,
  variable: string,
  target: 'trustedRoot' | 'signingConfig',
  fallback: string,
  what: string,
): { bytes: Buffer; where: string } | undefined {
  const path = flag ?? process.env[variable];
  if (path) return { bytes: readUserFile(path, what), where: path };
  const distributed = tufTarget(target);
  if (distributed) return { bytes: distributed, where: `the ${what} from TUF` };
  return existsSync(fallback) ? { bytes: readUserFile(fallback, what), where: fallback } : undefined;
}

/** The CA and log the signing config names (--signing-config, $SIGIL_SIGNING_CONFIG, TUF, ./.sigil), if any. */
export function signingConfigUrls(
  flag: string | undefined,
): { caUrl?: string; rekorUrl?: string } | undefined {
  const document = trustDocument(
    flag,
    'SIGIL_SIGNING_CONFIG',
    'signingConfig',
    DEFAULT_SIGNING_CONFIG,
    'signing config',
  );
  if (!document) return undefined;
  const path = document.where;
  const json = parseJson(document.bytes, path);
  const first = (field: string) => {
    const services = isRecord(json) ? json[field] : undefined;
    const service = Array.isArray(services) ? services[0] : undefined;
    return isRecord(service) && typeof service.url === 'string' ? service.url : undefined;
  };
  const caUrl = first('caUrls');
  const rekorUrl = first('rekorTlogUrls');
  if (!caUrl && !rekorUrl) throw new SigilError('BAD_JSON', `${path}: no caUrls or rekorTlogUrls`);
  return { ...(caUrl ? { caUrl } : {}), ...(rekorUrl ? { rekorUrl } : {}) };
}

export interface KeylessVerifyOptions {
  certificateIdentity?: string;
  certificateIdentityRegexp?: string;
  certificateOidcIssuer?: string;
  certificateOidcIssuerRegexp?: string;
  certificateGithubWorkflowTrigger?: string;
  certificateGithubWorkflowSha?: string;
  certificateGithubWorkflowName?: string;
  certificateGithubWorkflowRepository?: string;
  certificateGithubWorkflowRef?: string;
  trustedRoot?: string;
  caRoots?: string;
  caIntermediates?: string;
  insecureIgnoreSct: boolean;
}

export function addKeylessVerifyOptions(command: Command): Command {
  return command
    .option('--certificate-identity <name>', "the signer's identity (email or URI SAN), exactly")
    .option(
      '--certificate-identity-regexp <re>',
      "a regular expression the signer's identity must match (searched, as cosign does: anchor it with ^...$)",
    )
    .option('--certificate-oidc-issuer <url>', "the signer's OIDC issuer, exactly")
    .option(
      '--certificate-oidc-issuer-regexp <re>',
      "a regular expression the signer's OIDC issuer must match",
    )
    .option('--certificate-github-workflow-trigger <event>', 'the GitHub workflow trigger (e.g. push)')
    .option('--certificate-github-workflow-sha <sha>', 'the commit the GitHub workflow ran on')
    .option('--certificate-github-workflow-name <name>', 'the GitHub workflow name')
    .option('--certificate-github-workflow-repository <owner/repo>', 'the GitHub repository')
    .option('--certificate-github-workflow-ref <ref>', 'the git ref (e.g. refs/heads/main)')
    .option(
      '--trusted-root <file>',
      `trusted_root.json with the CA, log and CT log keys (default: $SIGIL_TRUSTED_ROOT, else the one from TUF after sigil initialize, else ${DEFAULT_TRUSTED_ROOT} if present)`,
    )
    .option(
      '--ca-roots <file>',
      "PEM CA root certificates to chain signing certificates to, instead of the trusted root's CAs",
    )
    .option(
      '--ca-intermediates <file>',
      'PEM intermediate CA certificates for those chains (with --ca-roots)',
    )
    .option('--insecure-ignore-sct [bool]', 'do not require an SCT in the certificate', parseBool, false);
}

function isKeylessVerification(opts: KeylessVerifyOptions): boolean {
  return [
    opts.certificateIdentity,
    opts.certificateIdentityRegexp,
    opts.certificateOidcIssuer,
    opts.certificateOidcIssuerRegexp,
  ].some((value) => value !== undefined);
}

function loadKeylessTrust(opts: KeylessVerifyOptions, ignoreTlog: boolean): KeylessTrust {
  const policy = compileIdentityPolicy({
    ...defined('identity', opts.certificateIdentity),
    ...defined('identityRegexp', opts.certificateIdentityRegexp),
    ...defined('issuer', opts.certificateOidcIssuer),
    ...defined('issuerRegexp', opts.certificateOidcIssuerRegexp),
    ...defined('githubWorkflowTrigger', opts.certificateGithubWorkflowTrigger),
    ...defined('githubWorkflowSha', opts.certificateGithubWorkflowSha),
    ...defined('githubWorkflowName', opts.certificateGithubWorkflowName),
    ...defined('githubWorkflowRepository', opts.certificateGithubWorkflowRepository),
    ...defined('githubWorkflowRef', opts.certificateGithubWorkflowRef),
  });
  for (const pattern of policy.unanchored) {
    warn(`the regular expression ${pattern} is not anchored with ^: it matches anywhere in the value`);
  }
  const root = trustRoot(opts, ignoreTlog);
  return {
    root,
    policy,
    ignoreTlog,
    ignoreSct: opts.insecureIgnoreSct,
  };
}

/**
 * The trusted root, with cosign's replacements: --ca-roots/--ca-intermediates for its CAs, and the log and
 * CT-log keys of SIGSTORE_REKOR_PUBLIC_KEY and SIGSTORE_CT_LOG_PUBLIC_KEY_FILE, when set alongside them.
 */
function trustRoot(opts: KeylessVerifyOptions, ignoreTlog: boolean): TrustedRoot {
  if (opts.caIntermediates && !opts.caRoots) {
    throw new SigilError('BAD_INPUT', '--ca-intermediates needs --ca-roots');
  }
  const base = configuredTrustedRoot(opts.trustedRoot);
  if (!opts.caRoots) {
    if (base) return base;
    throw new SigilError(
      'BAD_INPUT',
      'keyless verification needs a trusted root: none is configured',
      `pass --trusted-root (sigil serve writes ${DEFAULT_TRUSTED_ROOT}) or --ca-roots, or run sigil initialize`,
    );
  }
  const pem = (file: string | undefined, what: string) =>
    file ? readUserFile(file, what).toString('utf8') : '';
  const keyFile = (variable: string) => {
    const file = process.env[variable];
    return file ? { publicKey: readUserFile(file, variable).toString('utf8') } : {};
  };
  const overrides = {
    roots: pem(opts.caRoots, 'CA roots') + pem(opts.caIntermediates, 'CA intermediates'),
    tlog: { ignore: ignoreTlog, ...keyFile('SIGSTORE_REKOR_PUBLIC_KEY') },
    ctlog: { ignoreSct: opts.insecureIgnoreSct, ...keyFile('SIGSTORE_CT_LOG_PUBLIC_KEY_FILE') },
  };
  // With roots given there is always a root to return.
  const root = trustedRootWith(overrides, base) as TrustedRoot;
  requireTrustedLogs(root, overrides, {
    tlog: 'set SIGSTORE_REKOR_PUBLIC_KEY to the log key, pass --trusted-root, or --insecure-ignore-tlog',
    ctlog:
      'set SIGSTORE_CT_LOG_PUBLIC_KEY_FILE to the CT log key, pass --trusted-root, or --insecure-ignore-sct',
  });
  return root;
}

/** The trusted root: --trusted-root, else $SIGIL_TRUSTED_ROOT, else TUF, else ./.sigil/trusted_root.json. */
export function configuredTrustedRoot(flag: string | undefined): TrustedRoot | undefined {
  const document = trustDocument(
    flag,
    'SIGIL_TRUSTED_ROOT',
    'trustedRoot',
    DEFAULT_TRUSTED_ROOT,
    'trusted root',
  );
  return document ? parseTrustedRoot(document.bytes, document.where) : undefined;
}

function defined<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}

/** `--key` or the keyless flags, not both, and one of them (cosign's rule). */
export async function verificationSigners(
  opts: KeylessVerifyOptions & { key?: string },
  ignoreTlog: boolean,
): Promise<{ publicKey: KeyObject } | { keyless: KeylessTrust }> {
  if (opts.key && isKeylessVerification(opts)) {
    throw new SigilError(
      'BAD_INPUT',
      '--key and --certificate-identity/--certificate-oidc-issuer are mutually exclusive',
    );
  }
  if (opts.key) return { publicKey: await loadVerificationKeyRef(opts.key) };
  return { keyless: loadKeylessTrust(opts, ignoreTlog) };
}
