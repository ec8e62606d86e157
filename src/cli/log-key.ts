/**
 * The transparency log's key for verifications with --key: SIGSTORE_REKOR_PUBLIC_KEY (cosign's variable for
 * private deployments) or else the log of the trusted root (--trusted-root, as cosign v3 reads it), never
 * fetched from the log itself.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { SigilError } from '../core/index.js';
import { configuredTrustedRoot } from './keyless.js';
import { loadVerificationKey } from './keys.js';

/** SIGSTORE_REKOR_PUBLIC_KEY alone: it overrides any trusted root's logs. */
export function logKeyFromEnvironment(): { tlogKey?: KeyObject } {
  const keyFile = process.env.SIGSTORE_REKOR_PUBLIC_KEY;
  return keyFile ? { tlogKey: loadVerificationKey(keyFile) } : {};
}

export function configuredLogKey(trustedRoot: string | undefined): { tlogKey?: KeyObject } {
  const fromEnvironment = logKeyFromEnvironment();
  if (fromEnvironment.tlogKey) return fromEnvironment;
  const root = configuredTrustedRoot(trustedRoot);
  if (!root || root.tlogs.length === 0) return {};
  // One key checks every entry: with several logs we cannot tell which one a signature claims without
  // trusting what the signature says, so we ask for the key instead of trying each.
  if (root.tlogs.length > 1) {
    throw new SigilError(
      'BAD_INPUT',
      `the trusted root lists ${root.tlogs.length} transparency logs; key-based verification checks against one`,
      'set SIGSTORE_REKOR_PUBLIC_KEY to the key of the log the signatures are in',
    );
  }
  const raw = root.tlogs[0]?.publicKey?.rawBytes;
  if (!raw) throw new SigilError('BAD_INPUT', 'the trusted root names a transparency log without a key');
  return { tlogKey: createPublicKey({ key: Buffer.from(raw), format: 'der', type: 'spki' }) };
}
