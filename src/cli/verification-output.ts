/** What the verify commands tell people on stderr, worded as cosign words it. */
import { info, warn } from './output.js';

/** cosign's warning whenever a verification accepts entries missing from the transparency log. */
export function warnIfTlogIgnored(ignored: boolean): void {
  if (!ignored) return;
  warn(
    'Skipping tlog verification is an insecure practice that lacks transparency and auditability verification for the signature.',
  );
}

/** cosign's summary of a verified image: the checks made, then how the signer was established. */
export function reportVerifiedChecks(reference: string, checks: string[], keyless: boolean): void {
  info(`\nVerification for ${reference} --`);
  info('The following checks were performed on each of these signatures:');
  const signer = keyless
    ? [
        'Existence of the claims in the transparency log was verified offline',
        'The code-signing certificate was verified using trusted certificate authority certificates',
      ]
    : ['The signatures were verified against the specified public key'];
  for (const check of [...checks, ...signer]) info(`  - ${check}`);
}
