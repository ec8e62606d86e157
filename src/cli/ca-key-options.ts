/**
 * Where `sigil ca init` / `ca serve` find the CA's issuing key when it is not a file in --data-dir, with
 * Fulcio's flags: a PKCS#11 token (pkcs11ca) or a KMS key (kmsca).
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { crypto11Ca, DEFAULT_HSM_KEY_LABEL, type HeldCaKey, openKmsCa, type TokenCa } from '../ca/index.js';
import { SigilError } from '../core/index.js';

export interface HsmOptions {
  pkcs11ConfigPath?: string;
  hsmCarootId?: string;
  hsmKeyLabel: string;
}

export interface CaKeyOptions extends HsmOptions {
  dataDir: string;
  kmsResource?: string;
  kmsCertChainPath?: string;
}

/** Fulcio's pkcs11ca flags: the CA key and certificate on a PKCS#11 token instead of files. */
export function addHsmOptions(command: Command): Command {
  return command
    .option(
      '--pkcs11-config-path <file>',
      'crypto11 JSON config of the token holding the CA key (Path, TokenLabel or SlotNumber, Pin)',
    )
    .option('--hsm-caroot-id <id>', 'CKA_ID of the CA certificate on that token (the bytes of this string)')
    .option('--hsm-key-label <label>', 'label of the CA key pair on that token', DEFAULT_HSM_KEY_LABEL);
}

/** Fulcio's pkcs11ca and kmsca flags. */
export function addCaKeyOptions(command: Command): Command {
  return addHsmOptions(command)
    .option(
      '--kms-resource <uri>',
      'the CA key in a KMS: awskms://, gcpkms://, azurekms:// or hashivault:// (as cosign names keys)',
    )
    .option(
      '--kms-cert-chain-path <file>',
      'PEM chain of that key: its certificate first, the root last (default: <data-dir>/chain.pem)',
    );
}

export function tokenCa(opts: HsmOptions): TokenCa | undefined {
  if (opts.pkcs11ConfigPath === undefined && opts.hsmCarootId === undefined) return undefined;
  if (opts.pkcs11ConfigPath === undefined || opts.hsmCarootId === undefined) {
    throw new SigilError('BAD_INPUT', '--pkcs11-config-path and --hsm-caroot-id go together');
  }
  return crypto11Ca(opts.pkcs11ConfigPath, opts.hsmCarootId, opts.hsmKeyLabel);
}

/** The token or KMS key the flags name, or undefined for the key file in --data-dir. */
export async function heldCaKey(opts: CaKeyOptions): Promise<HeldCaKey | undefined> {
  if (opts.kmsResource === undefined) {
    if (opts.kmsCertChainPath !== undefined) {
      throw new SigilError('BAD_INPUT', '--kms-cert-chain-path needs --kms-resource');
    }
    return tokenCa(opts);
  }
  if (opts.pkcs11ConfigPath !== undefined || opts.hsmCarootId !== undefined) {
    throw new SigilError('BAD_INPUT', '--kms-resource and --pkcs11-config-path exclude each other');
  }
  return openKmsCa(opts.kmsResource, opts.kmsCertChainPath ?? join(opts.dataDir, 'chain.pem'));
}
