/**
 * `sigil tsa serve`: the RFC 3161 timestamp authority on its own (sigstore timestamp-authority's API), for
 * deployments that run each service apart; `sigil serve` runs the same TSA beside the CA and the log.
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { readUserFile, SigilError } from '../../core/index.js';
import { kmsSigner } from '../../crypto/index.js';
import {
  CERTCHAIN_PATH,
  type LoadTsaOptions,
  loadOrCreateTsaChain,
  loadOrCreateTsaMaterial,
  startTsa,
  TIMESTAMP_PATH,
} from '../../tsa/index.js';
import { parseAddress } from '../address.js';
import { info } from '../output.js';
import { action } from '../run.js';
import { closeOnSignal } from '../serving.js';

interface TsaServeOptions {
  addr: string;
  dataDir: string;
  certificateChain?: string;
  key?: string;
  timestampSigner: string;
  kmsKeyResource?: string;
  certificateChainPath?: string;
}

export function registerTsaCommands(program: Command): void {
  const tsa = program.command('tsa').description('The RFC 3161 timestamp authority');
  tsa
    .command('serve')
    .description(
      'Serve timestamps (POST /api/v1/timestamp) and the signing chain (GET /api/v1/timestamp/certchain)',
    )
    .option('--addr <host:port>', 'address to listen on', '127.0.0.1:3004')
    .option(
      '--data-dir <dir>',
      'where the key and chain are kept (created on first start)',
      join('.sigil', 'tsa'),
    )
    .option(
      '--certificate-chain <file>',
      'PEM chain of the timestamping certificate, leaf first (with --key)',
    )
    .option('--key <file>', "PEM private key of the chain's leaf (with --certificate-chain)")
    .option(
      '--timestamp-signer <kind>',
      "where the timestamping key is, as timestamp-authority's flag: file (the above) or kms",
      'file',
    )
    .option(
      '--kms-key-resource <uri>',
      'with --timestamp-signer kms: the key, awskms://, gcpkms://, azurekms:// or hashivault:// (ECDSA)',
    )
    .option(
      '--certificate-chain-path <file>',
      'with --timestamp-signer kms: PEM chain of that key, leaf first (made for the key if missing; default: <data-dir>/chain.pem)',
    )
    .addHelpText(
      'after',
      `
Without --certificate-chain and --key, a key and a self-signed chain are made in --data-dir on first start.

Examples:
  sigil tsa serve --addr 0.0.0.0:3004 --data-dir /var/lib/sigil/tsa
  sigil tsa serve --certificate-chain chain.pem --key tsa-key.pem
  # the key in a KMS (never leaves it); a chain for it is made at --certificate-chain-path if missing
  sigil tsa serve --timestamp-signer kms --kms-key-resource awskms:///alias/sigil-tsa \\
    --certificate-chain-path ./.sigil/tsa/chain.pem
  curl -s http://127.0.0.1:3004/api/v1/timestamp/certchain`,
    )
    .action(
      action(async (opts: TsaServeOptions) => {
        const { host, port } = parseAddress(opts.addr);
        const server = await startTsa({ host, port, ...(await tsaMaterial(opts)) });
        info(
          `timestamp authority listening on ${server.url}${TIMESTAMP_PATH} (chain: ${server.url}${CERTCHAIN_PATH})`,
        );
        closeOnSignal(server.close);
      }),
    );
}

async function tsaMaterial(opts: TsaServeOptions): Promise<LoadTsaOptions> {
  if (opts.timestampSigner === 'kms') return kmsTsaMaterial(opts);
  if (opts.timestampSigner !== 'file') {
    throw new SigilError('BAD_INPUT', `--timestamp-signer ${opts.timestampSigner}: expected file or kms`);
  }
  if (opts.kmsKeyResource !== undefined || opts.certificateChainPath !== undefined) {
    throw new SigilError(
      'BAD_INPUT',
      '--kms-key-resource and --certificate-chain-path need --timestamp-signer kms',
    );
  }
  if (opts.certificateChain === undefined && opts.key === undefined)
    return loadOrCreateTsaMaterial(opts.dataDir);
  if (opts.certificateChain === undefined || opts.key === undefined) {
    throw new SigilError('BAD_INPUT', '--certificate-chain and --key go together: give both, or neither');
  }
  return {
    chainPem: readUserFile(opts.certificateChain, '--certificate-chain').toString('utf8'),
    keyPem: readUserFile(opts.key, '--key').toString('utf8'),
  };
}

/** timestamp-authority's kms signer: the chain's leaf must be the KMS key's (checked by loadTsa). */
async function kmsTsaMaterial(opts: TsaServeOptions): Promise<LoadTsaOptions> {
  if (opts.kmsKeyResource === undefined) {
    throw new SigilError('BAD_INPUT', '--timestamp-signer kms needs --kms-key-resource');
  }
  if (opts.certificateChain !== undefined || opts.key !== undefined) {
    throw new SigilError('BAD_INPUT', '--timestamp-signer kms takes --certificate-chain-path, not --key');
  }
  const signer = await kmsSigner(opts.kmsKeyResource);
  const chainPath = opts.certificateChainPath ?? join(opts.dataDir, 'chain.pem');
  return {
    chainPem: await loadOrCreateTsaChain(chainPath, signer),
    heldKey: { signer, describe: `${opts.kmsKeyResource} (chain ${chainPath})` },
  };
}
