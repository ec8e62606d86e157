/** Options shared by the commands that read images and their signatures: registry access, the trusted log. */
import type { Command } from 'commander';
import { readUserFile, SigilError } from '../core/index.js';
import {
  type Credential,
  fetchWithTls,
  fixedCredentials,
  keepAliveFetch,
  RegistryClient,
  type RegistryClientOptions,
} from '../oci/index.js';
import { RekorClient } from '../tlog/index.js';
import type { TrustedLogKey } from '../verify/index.js';
import { loggingFetch } from './cosign-root-options.js';
import { configuredLogKeys } from './log-key.js';
import { parseBool } from './options.js';

/** cosign's registry flags (its RegistryOptions), as commander hands them over. */
export interface RegistryOptions {
  allowInsecureRegistry: boolean;
  allowHttpRegistry?: boolean;
  registryUsername?: string;
  registryPassword?: string;
  registryToken?: string;
  registryCacert?: string;
  registryClientCert?: string;
  registryClientKey?: string;
  registryServerName?: string;
  /** cosign's -d/--verbose (a root flag): log each registry request. */
  verbose?: boolean;
}

export function addRegistryOptions(command: Command): Command {
  return command
    .option(
      '--allow-insecure-registry [bool]',
      "accept the registry's TLS certificate without verifying it (expired, self-signed); testing only",
      parseBool,
      false,
    )
    .option(
      '--allow-http-registry [bool]',
      'allow plain HTTP to registries other than loopback (after HTTPS fails); testing only',
      parseBool,
      false,
    )
    .option('--registry-username <name>', 'registry Basic auth username (with --registry-password)')
    .option('--registry-password <password>', 'registry Basic auth password')
    .option('--registry-token <token>', 'registry bearer token, sent as is')
    .option('--registry-cacert <file>', "PEM CA certificates to verify the registry's TLS certificate with")
    .option('--registry-client-cert <file>', 'PEM client certificate for mutual TLS with the registry')
    .option('--registry-client-key <file>', 'PEM private key of --registry-client-cert')
    .option('--registry-server-name <name>', "the name the registry's TLS certificate must carry (SNI too)");
}

export function registryClient(opts: RegistryOptions): RegistryClient {
  const options: RegistryClientOptions = { insecure: opts.allowHttpRegistry ?? false };
  const credential = flagCredential(opts);
  if (credential) options.credentials = fixedCredentials(credential);
  const tls = opts.allowInsecureRegistry || opts.registryCacert || opts.registryClientCert;
  if (tls || opts.registryClientKey || opts.registryServerName) {
    if (Boolean(opts.registryClientCert) !== Boolean(opts.registryClientKey)) {
      throw new SigilError('BAD_INPUT', '--registry-client-cert and --registry-client-key go together');
    }
    options.fetch = fetchWithTls({
      rejectUnauthorized: !opts.allowInsecureRegistry,
      ...(opts.registryCacert ? { ca: caCertificates(opts.registryCacert) } : {}),
      ...(opts.registryClientCert
        ? { cert: readPem(opts.registryClientCert, '--registry-client-cert') }
        : {}),
      ...(opts.registryClientKey ? { key: readPem(opts.registryClientKey, '--registry-client-key') } : {}),
      ...(opts.registryServerName ? { servername: opts.registryServerName } : {}),
    });
  }
  if (opts.verbose) options.fetch = loggingFetch(options.fetch ?? keepAliveFetch());
  return new RegistryClient(options);
}

/** Credentials from the flags, which replace the docker config's (Basic first, as cosign picks). */
function flagCredential(opts: RegistryOptions): Credential | undefined {
  if (Boolean(opts.registryUsername) !== Boolean(opts.registryPassword)) {
    throw new SigilError('BAD_INPUT', '--registry-username and --registry-password go together');
  }
  if (opts.registryUsername && opts.registryPassword) {
    return { username: opts.registryUsername, password: opts.registryPassword };
  }
  return opts.registryToken ? { registryToken: opts.registryToken } : undefined;
}

function readPem(file: string, flag: string): string {
  return readUserFile(file, `cannot read ${flag}`).toString('utf8');
}

function caCertificates(file: string): string {
  const pem = readPem(file, '--registry-cacert');
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new SigilError('BAD_INPUT', `--registry-cacert ${file}: no PEM certificate in it`);
  }
  return pem;
}

/** The logs signatures must be recorded in (see configuredLogKeys); with --rekor-url, inclusion proofs too. */
export function trustedLog(
  rekorUrl: string | undefined,
  trustedRoot: string | undefined,
): {
  tlog?: { logs: TrustedLogKey[]; client?: RekorClient };
} {
  const { tlogKeys } = configuredLogKeys(trustedRoot);
  if (!tlogKeys) return {};
  return { tlog: { logs: tlogKeys, ...(rekorUrl ? { client: new RekorClient(rekorUrl) } : {}) } };
}
