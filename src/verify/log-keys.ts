/**
 * The transparency logs a key-based verification trusts: every log a trusted root lists, each for the
 * period the root trusts it, or the one key SIGSTORE_REKOR_PUBLIC_KEY names. An entry is checked against
 * the log it names by its log ID (the digest of that log's key): naming is not trusting, since only a log
 * on this list, trusted at the entry's integration time, can have signed the entry's promise.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import type { TrustedRoot } from '@sigstore/protobuf-specs';
import { SigilError } from '../core/index.js';

export interface TrustedLogKey {
  publicKey: KeyObject;
  /** When the trusted root trusted this log; a key given on its own is trusted at any time. */
  validFor?: { start: Date; end?: Date };
}

/** Every log of `root`, with the period it is trusted for. */
export function trustedRootLogKeys(root: TrustedRoot, where: string): TrustedLogKey[] {
  return root.tlogs.map((log, i) => {
    const raw = log.publicKey?.rawBytes;
    if (!raw || raw.length === 0) {
      throw new SigilError('BAD_INPUT', `${where}: transparency log ${i + 1} has no public key`);
    }
    const validFor = log.publicKey?.validFor;
    return {
      publicKey: createPublicKey({ key: Buffer.from(raw), format: 'der', type: 'spki' }),
      validFor: { start: validFor?.start ?? new Date(0), ...(validFor?.end ? { end: validFor.end } : {}) },
    };
  });
}
