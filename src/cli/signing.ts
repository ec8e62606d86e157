/** What `sign` and `attest` need before signing anything: the signer (key or keyless), the log, the TSA. */
import { SigilError } from '../core/index.js';
import type { Signer } from '../crypto/index.js';
import { RekorClient } from '../tlog/index.js';
import { type KeylessSignOptions, keylessServices, loadKeylessSigner, signingConfigUrls } from './keyless.js';
import { loadSigner } from './keys.js';

export interface SigningOptions extends KeylessSignOptions {
  key?: string;
  tlogUpload: boolean;
}

export interface SigningContext {
  signer: Signer;
  tlog?: RekorClient;
  tsaUrl?: string;
}

export async function signingContext(opts: SigningOptions): Promise<SigningContext> {
  const keyless = opts.key ? undefined : keylessServices(opts);
  // With a key too, the log comes from the signing config when no --rekor-url names one (as cosign v3 does).
  const configuredLog = () => (opts.tlogUpload ? signingConfigUrls(opts.signingConfig)?.rekorUrl : undefined);
  const rekorUrl = opts.rekorUrl ?? (keyless ? keyless.rekorUrl : configuredLog());
  if (opts.tlogUpload && !rekorUrl) {
    throw new SigilError(
      'BAD_INPUT',
      'no transparency log is configured to upload the signature to',
      'pass --rekor-url (e.g. a log started with sigil tlog serve), or --tlog-upload=false',
    );
  }
  const signer = opts.key
    ? await loadSigner(opts.key)
    : await loadKeylessSigner(opts, keyless?.fulcioUrl ?? '');
  return {
    signer,
    ...(opts.tlogUpload && rekorUrl ? { tlog: new RekorClient(rekorUrl) } : {}),
    ...(opts.timestampServerUrl ? { tsaUrl: opts.timestampServerUrl } : {}),
  };
}
