/**
 * Notation verification, as `notation verify` does it for each signature of an artifact until one passes:
 * the trust policy statement for the artifact's repository fixes what each check does (enforce, log or
 * skip); integrity (envelope, chain rules, signature), authenticity (chain to a certificate in the
 * policy's trust stores, leaf subject among the trusted identities), expiry, authentic timestamp and
 * revocation are run in notation's order; an enforced failure stops that signature. Then the payload must
 * name the artifact, and carry the user metadata asked for.
 */
import { messageOf } from '../core/index.js';
import type { Descriptor } from '../oci/index.js';
import type { NotationCertificate } from './certificate.js';
import { certificateDn, isSubsetDn } from './distinguished-name.js';
import { type EnvelopeContent, parseEnvelope, verifyEnvelopeIntegrity } from './envelope.js';
import { parsePayload, payloadMatches } from './payload.js';
import {
  applicableTrustPolicy,
  type TrustPolicyStatement,
  type ValidationAction,
  type ValidationType,
} from './trust-policy.js';
import type { NotationVerifyOptions } from './verify-options.js';

export interface NotationTarget {
  /** registry/repository (no tag, no digest): what registryScopes match. */
  repository: string;
  /** The artifact's descriptor, as resolved from the registry. */
  descriptor: Descriptor;
}

export interface FetchedSignature {
  /** The signature manifest's digest (its name in messages and output). */
  digest: string;
  /** The envelope's media type (the signature manifest's layer). */
  mediaType: string;
  envelope: Buffer;
}

export interface CheckResult {
  type: ValidationType;
  action: ValidationAction;
  /** Absent when the check passed. */
  error?: string;
}

export interface SignatureVerification {
  digest: string;
  mediaType: string;
  verified: boolean;
  checks: CheckResult[];
  /** Why the signature was refused (the first enforced failure, or the payload mismatch). */
  error?: string;
  content?: EnvelopeContent;
  /** The payload's annotations: the signer's user metadata. */
  userMetadata?: Record<string, string>;
}

export interface NotationVerification {
  policy: TrustPolicyStatement;
  /** True when the policy's level is skip: nothing was checked. */
  skipped: boolean;
  /** The signature that passed, if one did. */
  verified?: SignatureVerification;
  /** Every signature tried, in order (stops after the first that passes). */
  results: SignatureVerification[];
}

class CheckFailed extends Error {}

export async function verifyNotationSignatures(
  target: NotationTarget,
  signatures: readonly FetchedSignature[],
  options: NotationVerifyOptions,
): Promise<NotationVerification> {
  const policy = applicableTrustPolicy(options.trustPolicy, target.repository);
  if (policy.level === 'skip') return { policy, skipped: true, results: [] };
  const results: SignatureVerification[] = [];
  for (const signature of signatures.slice(0, options.maxSignatures ?? 100)) {
    const result = await verifyOne(target, signature, policy, options);
    results.push(result);
    if (result.verified) return { policy, skipped: false, verified: result, results };
  }
  return { policy, skipped: false, results };
}

async function verifyOne(
  target: NotationTarget,
  signature: FetchedSignature,
  policy: TrustPolicyStatement,
  options: NotationVerifyOptions,
): Promise<SignatureVerification> {
  const result: SignatureVerification = {
    digest: signature.digest,
    mediaType: signature.mediaType,
    verified: false,
    checks: [],
  };
  const where = `signature ${signature.digest}`;
  const now = options.now ?? new Date();
  /** Records a check; an enforced failure ends this signature's verification. */
  const check = async (type: ValidationType, run: () => unknown): Promise<void> => {
    const action = policy.enforcement[type];
    if (action === 'skip') return;
    let error: string | undefined;
    try {
      await run();
    } catch (err) {
      error = messageOf(err);
    }
    result.checks.push({ type, action, ...(error === undefined ? {} : { error }) });
    if (error !== undefined && action === 'enforce') {
      result.error = `${type}: ${error}`;
      throw new CheckFailed();
    }
  };
  try {
    let content: EnvelopeContent | undefined;
    await check('integrity', () => {
      content = parseEnvelope(signature.mediaType, signature.envelope, where);
      verifyEnvelopeIntegrity(content, where);
    });
    if (!content) return result;
    const envelope = content;
    result.content = envelope;
    await check('authenticity', () => {
      verifyAuthenticity(envelope, policy, options);
      verifyTrustedIdentity(envelope, policy);
    });
    await check('expiry', () => {
      if (envelope.expiry && now >= envelope.expiry) {
        throw new Error(`signature expired at ${envelope.expiry.toISOString()}`);
      }
    });
    await check('authenticTimestamp', () => verifyAuthenticTimestamp(envelope, policy, options, now));
    await check('revocation', async () => {
      const authenticSigningTime =
        envelope.signingScheme === 'notary.x509.signingAuthority' ? envelope.signingTime : undefined;
      await checkRevocation(envelope.certificateChain, 'codeSigning', options, authenticSigningTime);
    });
    const payload = parsePayload(envelope.payload, where);
    const metadata = payload.targetArtifact.annotations ?? {};
    result.userMetadata = metadata;
    if (!payloadMatches(payload, target.descriptor)) {
      result.error = `the signed payload names ${payload.targetArtifact.digest} (${payload.targetArtifact.mediaType}, ${payload.targetArtifact.size} bytes), not the artifact ${target.descriptor.digest}`;
      return result;
    }
    for (const [key, value] of Object.entries(options.userMetadata ?? {})) {
      if (metadata[key] !== value) {
        result.error = `the signature's user metadata has no ${key}=${value}`;
        return result;
      }
    }
    result.verified = true;
    return result;
  } catch (err) {
    if (err instanceof CheckFailed) return result;
    throw err;
  }
}

function trustedCertificates(
  policy: TrustPolicyStatement,
  type: 'ca' | 'signingAuthority' | 'tsa',
  options: NotationVerifyOptions,
): NotationCertificate[] {
  const seen = new Set<string>();
  const certificates: NotationCertificate[] = [];
  for (const store of policy.trustStores) {
    if (store.type !== type || seen.has(store.name)) continue;
    seen.add(store.name);
    certificates.push(...options.trustStore(store.type, store.name));
  }
  return certificates;
}

/** The signing scheme picks the store type: ca for notary.x509, signingAuthority for its namesake. */
function verifyAuthenticity(
  content: EnvelopeContent,
  policy: TrustPolicyStatement,
  options: NotationVerifyOptions,
): void {
  const type = content.signingScheme === 'notary.x509' ? 'ca' : 'signingAuthority';
  const trusted = trustedCertificates(policy, type, options);
  if (trusted.length === 0) {
    throw new Error(
      `no trusted certificates: statement "${policy.name}" names no ${type}: trust store for the ${content.signingScheme} signing scheme`,
    );
  }
  const anchored = content.certificateChain.some((cert) => trusted.some((t) => t.der.equals(cert.der)));
  if (!anchored) {
    const root = content.certificateChain[content.certificateChain.length - 1];
    throw new Error(
      `the certificate chain (root "${root?.subject}") does not lead to a certificate in the trust stores of statement "${policy.name}"`,
    );
  }
}

function verifyTrustedIdentity(content: EnvelopeContent, policy: TrustPolicyStatement): void {
  if (policy.trustedIdentities === undefined) return;
  if (policy.trustedIdentities.length === 0) {
    throw new Error(`statement "${policy.name}" has no x509.subject trusted identities`);
  }
  const leaf = content.certificateChain[0] as NotationCertificate;
  const subject = certificateDn(leaf);
  if (subject && policy.trustedIdentities.some((identity) => isSubsetDn(identity.dn, subject))) return;
  throw new Error(
    `signing certificate subject "${leaf.subject}" is not a trusted identity of statement "${policy.name}"`,
  );
}

function validNow(chain: readonly NotationCertificate[], now: Date): void {
  for (const cert of chain) {
    if (now < cert.notBefore)
      throw new Error(`certificate "${cert.subject}" is not valid before ${cert.notBefore.toISOString()}`);
    if (now > cert.notAfter)
      throw new Error(`certificate "${cert.subject}" expired at ${cert.notAfter.toISOString()}`);
  }
}

async function verifyAuthenticTimestamp(
  content: EnvelopeContent,
  policy: TrustPolicyStatement,
  options: NotationVerifyOptions,
  now: Date,
): Promise<void> {
  const chain = content.certificateChain;
  if (content.signingScheme === 'notary.x509.signingAuthority') {
    // The signing authority vouches for the signing time itself.
    for (const cert of chain) {
      if (content.signingTime < cert.notBefore || content.signingTime > cert.notAfter) {
        throw new Error(
          `certificate "${cert.subject}" was not valid at the authentic signing time ${content.signingTime.toISOString()}`,
        );
      }
    }
    return;
  }
  let useTimestamp = policy.trustStores.some((s) => s.type === 'tsa');
  if (useTimestamp && policy.verifyTimestamp === 'afterCertExpiry') {
    useTimestamp = chain.some((cert) => now > cert.notAfter);
  }
  // Without a trusted timestamp, the chain must be valid now.
  if (!useTimestamp) return validNow(chain, now);
  if (!content.timestampSignature) throw new Error('no timestamp countersignature in the signature envelope');
  if (!options.timestamp) {
    throw new Error('the timestamp countersignature cannot be verified: no RFC 3161 verifier is available');
  }
  const roots = trustedCertificates(policy, 'tsa', options);
  if (roots.length === 0) throw new Error('no trusted TSA certificate in the tsa: trust stores');
  const stamp = await options.timestamp.verify(content.timestampSignature, content.signature, {
    trustedRoots: roots,
  });
  for (const cert of chain) {
    if (stamp.earliest < cert.notBefore)
      throw new Error(
        `the timestamp may be before certificate "${cert.subject}" was valid (${cert.notBefore.toISOString()})`,
      );
    if (stamp.latest > cert.notAfter)
      throw new Error(
        `the timestamp may be after certificate "${cert.subject}" expired (${cert.notAfter.toISOString()})`,
      );
  }
  await checkRevocation(stamp.tsaChain, 'timestamping', options);
}

/**
 * notation's revocation verdict over a chain: good when every certificate is ok or not revocable; a
 * revoked certificate wins over unknown ones. Without a checker, only a chain with no OCSP/CRL endpoint
 * (nothing to ask) passes.
 */
async function checkRevocation(
  chain: readonly NotationCertificate[],
  purpose: 'codeSigning' | 'timestamping',
  options: NotationVerifyOptions,
  authenticSigningTime?: Date,
): Promise<void> {
  const what = purpose === 'timestamping' ? 'timestamping certificate' : 'signing certificate';
  if (!options.revocation) {
    const revocable = chain.find((cert) => cert.ocspUrls.length > 0 || cert.crlUrls.length > 0);
    if (revocable) {
      throw new Error(
        `${what} "${revocable.subject}" names OCSP/CRL endpoints but no revocation checker is available`,
      );
    }
    return;
  }
  const results = await options.revocation.checkChain(chain, {
    purpose,
    ...(authenticSigningTime ? { authenticSigningTime } : {}),
  });
  if (results.length !== chain.length)
    throw new Error(`revocation results do not cover the ${chain.length}-certificate chain`);
  const revoked = results.findIndex((r) => r.status === 'revoked');
  if (revoked >= 0) throw new Error(`${what} "${chain[revoked]?.subject}" is revoked`);
  const unknown = results.findLastIndex((r) => r.status !== 'ok' && r.status !== 'nonRevokable');
  if (unknown >= 0) {
    const reason = results[unknown]?.reason;
    throw new Error(
      `${what} "${chain[unknown]?.subject}" revocation status is unknown${reason ? ` (${reason})` : ''}`,
    );
  }
}
