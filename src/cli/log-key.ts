/**
 * The transparency logs for verifications with --key: SIGSTORE_REKOR_PUBLIC_KEY (cosign's variable for
 * private deployments), or else every log of the trusted root (--trusted-root, TUF, as cosign v3 reads
 * it), each for the period the root trusts it; never fetched from the log itself.
 */
import { type TrustedLogKey, trustedRootLogKeys } from '../verify/index.js';
import { configuredTrustedRoot } from './keyless.js';
import { loadVerificationKey } from './keys.js';

/** SIGSTORE_REKOR_PUBLIC_KEY alone: it overrides any trusted root's logs. */
export function logKeyFromEnvironment(): { tlogKeys?: TrustedLogKey[] } {
  const keyFile = process.env.SIGSTORE_REKOR_PUBLIC_KEY;
  return keyFile ? { tlogKeys: [{ publicKey: loadVerificationKey(keyFile) }] } : {};
}

export function configuredLogKeys(trustedRoot: string | undefined): { tlogKeys?: TrustedLogKey[] } {
  const fromEnvironment = logKeyFromEnvironment();
  if (fromEnvironment.tlogKeys) return fromEnvironment;
  const root = configuredTrustedRoot(trustedRoot);
  if (!root || root.tlogs.length === 0) return {};
  return { tlogKeys: trustedRootLogKeys(root, trustedRoot ?? 'the trusted root') };
}
