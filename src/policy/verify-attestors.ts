/**
 * Attestor sets checked through the cosign verifiers: a set passes when `count` of its entries pass (all of
 * them when no count is given), and every set of a verification must pass. Kyverno's entries map onto
 * cosign's options: keys → public key; keyless → identity (subject wildcard, subjectRegExp, issuer,
 * issuerRegExp) against the trusted root; rekor.ignoreTlog → --insecure-ignore-tlog; ctlog.ignoreSCT →
 * --insecure-ignore-sct.
 */
import type { KeyObject } from 'node:crypto';
import type { TrustedRoot } from '@sigstore/protobuf-specs';
import { isSigilError, messageOf, SigilError } from '../core/index.js';
import { verifyImage, verifyImageAttestations } from '../cosign/index.js';
import { cachedKmsPublicKey, kmsPublicKey, loadPublicKeyPem } from '../crypto/index.js';
import type { ImageReference, RegistryClient, Repository } from '../oci/index.js';
import {
  compilePartialIdentityPolicy,
  type KeylessTrust,
  requireTrustedLogs,
  trustedRootWith,
} from '../verify/index.js';
import { wildcardSource } from './conditions/index.js';
import { configuredCertificate } from './configured-certificate.js';
import type { Attestor, AttestorSet, TlogSettings } from './model.js';
import { fetchNotaryAttestation, notaryTrust, verifyNotarySignature } from './notary.js';
import type { RegistryClientFactory } from './registry-access.js';

export interface VerifierContext {
  client: RegistryClient;
  /** Clients for verifications with imageRegistryCredentials; without it, such verifications cannot run. */
  clientFor?: RegistryClientFactory;
  /** Where `.sig`/`.att` artifacts are read instead of the image's repository (the rule's `repository`). */
  signatureRepository?: Repository;
  /** Keyless attestors verify against this root (CA, CT log, log, TSA). */
  trustedRoot?: TrustedRoot;
  /** The log key key-based attestors use unless their rekor.pubkey names another. */
  rekorPublicKey?: KeyObject;
  /** The PEM public key (`cosign.pub`) of a `k8s://<namespace>/<name>` Secret; absent without a cluster. */
  readKeySecret?: (ref: string) => Promise<string>;
  /**
   * Kyverno's `type: SigstoreBundle`: signatures and attestations are Sigstore bundles attached to the
   * image as OCI 1.1 referrers (cosign v3's --new-bundle-format); `.sig`/`.att` are not read.
   */
  sigstoreBundles?: boolean;
  /** Kyverno's `type: Notary`: `certificates` attestors verify Notation signatures (notary.ts). */
  notary?: boolean;
}

/**
 * What the conditions of an attestation read: its predicate (for Notary, the attached JSON content), and
 * for an in-toto attestation the whole statement (what ImageValidatingPolicy's payload() returns).
 */
export interface AttestationContent {
  predicate: unknown;
  statement?: unknown;
}

/** What is verified: the image's signatures, or its attestations of one predicate type. */
export type Target = { kind: 'signature' } | { kind: 'attestation'; predicateType: string };

export interface SetOutcome {
  passed: boolean;
  /** Why it failed, naming each failing entry. */
  reason: string;
  /** Attestations that passed, for the conditions. */
  attestations: AttestationContent[];
}

/** A registry or service that did not answer: no verdict, so the failurePolicy decides, not the attestors. */
export function isUnreachable(err: unknown): boolean {
  return isSigilError(err, 'REGISTRY_UNREACHABLE') || isSigilError(err, 'SERVICE_UNREACHABLE');
}

export async function verifyAttestorSets(
  sets: AttestorSet[],
  image: ImageReference,
  target: Target,
  ctx: VerifierContext,
): Promise<SetOutcome> {
  const attestations: AttestationContent[] = [];
  for (const [i, set] of sets.entries()) {
    const outcome = await verifySet(set, image, target, ctx);
    if (!outcome.passed) {
      return {
        passed: false,
        reason: sets.length > 1 ? `attestors[${i}]: ${outcome.reason}` : outcome.reason,
        attestations,
      };
    }
    attestations.push(...outcome.attestations);
  }
  return { passed: true, reason: '', attestations };
}

async function verifySet(
  set: AttestorSet,
  image: ImageReference,
  target: Target,
  ctx: VerifierContext,
): Promise<SetOutcome> {
  const needed = set.count ?? set.entries.length;
  const reasons: string[] = [];
  const attestations: AttestationContent[] = [];
  let passed = 0;
  for (const [i, entry] of set.entries.entries()) {
    try {
      attestations.push(...(await verifyEntry(entry, image, target, ctx)));
      passed++;
      if (passed >= needed) return { passed: true, reason: '', attestations };
    } catch (err) {
      // An unreachable registry or log is not a verdict: the webhook's failurePolicy decides.
      if (isUnreachable(err)) throw err;
      reasons.push(`entries[${i}]: ${messageOf(err)}`);
    }
  }
  // One entry: its own reason says it all; several: how many passed, and why each other one did not.
  const reason =
    set.entries.length === 1
      ? (reasons[0] ?? '').replace(/^entries\[0\]: /, '')
      : `${passed} of ${needed} required entries verified; ${reasons.join('; ')}`;
  return { passed: false, reason, attestations };
}

async function verifyEntry(
  entry: Attestor,
  image: ImageReference,
  target: Target,
  ctx: VerifierContext,
): Promise<AttestationContent[]> {
  if (entry.kind === 'nested') return (await verifySet(entry.set, image, target, ctx)).attestations;
  const notary = ctx.notary || (entry.kind === 'certificate' && entry.notary === true);
  if (notary && entry.kind !== 'static') return verifyNotaryEntry(entry, image, target, ctx);
  if (entry.kind === 'unsupported') throw new SigilError('UNSUPPORTED', `${entry.what} are not supported`);
  if (entry.kind === 'invalid') throw new SigilError('BAD_PEM', entry.reason);
  if (entry.kind === 'static') {
    if (entry.pass) return [];
    throw new SigilError(
      'POLICY_VIOLATION',
      `disallowed by static policy${entry.message ? `: ${entry.message}` : ''}`,
    );
  }
  if (entry.kind === 'attested') return verifyAttested(entry, image, ctx);
  const signers =
    entry.kind === 'key'
      ? keySigner(policyKey(entry.publicKey, 'attestor publicKeys'), entry.tlog, ctx)
      : entry.kind === 'secretKey'
        ? keySigner(policyKey(await secretPublicKey(entry.ref, ctx), entry.ref), entry.tlog, ctx)
        : entry.kind === 'kmsKey'
          ? keySigner(await cachedKmsPublicKey(entry.ref, kmsPublicKey), entry.tlog, ctx)
          : entry.kind === 'certificate'
            ? certificateSigner(entry, ctx)
            : keylessSigner(entry, ctx);
  const signatureRepository = entry.repository ?? ctx.signatureRepository;
  const common = {
    client: ctx.client,
    image,
    ...signers,
    ...(signatureRepository ? { signatureRepository } : {}),
    ...(ctx.sigstoreBundles ? { bundlesOnly: true } : {}),
  };
  if (target.kind === 'signature') {
    // Annotations are claims of signatures (cosign -a); like cosign under Kyverno, attestations skip them.
    await verifyImage({
      ...common,
      checkDockerReference: false,
      ...(entry.annotations ? { annotations: entry.annotations } : {}),
    });
    return [];
  }
  const { verified } = await verifyImageAttestations({ ...common, predicateType: target.predicateType });
  return verified.map(({ statement }) => ({ predicate: statement.predicate, statement }));
}

/** `type: Notary`: only `certificates` attestors, as Kyverno's policy validation allows. */
async function verifyNotaryEntry(
  entry: Attestor,
  image: ImageReference,
  target: Target,
  ctx: VerifierContext,
): Promise<AttestationContent[]> {
  if (entry.kind === 'invalid') throw new SigilError('BAD_PEM', entry.reason);
  if (entry.kind !== 'certificate') {
    const what = entry.kind === 'keyless' ? 'keyless' : 'keys';
    throw new SigilError(
      'UNSUPPORTED',
      `${what} attestors are not allowed for type Notary (only certificates)`,
    );
  }
  const trust = notaryTrust(entry.cert, entry.certChain);
  if (target.kind === 'signature') {
    await verifyNotarySignature(ctx.client, image, trust);
    return [];
  }
  const attestation = await fetchNotaryAttestation(ctx.client, image, target.predicateType, trust);
  return [{ predicate: attestation.predicate }];
}

/** Each predicate type needs an attestation that the entry's attestor verifies; the target does not matter. */
async function verifyAttested(
  entry: Extract<Attestor, { kind: 'attested' }>,
  image: ImageReference,
  ctx: VerifierContext,
): Promise<AttestationContent[]> {
  const verified: AttestationContent[] = [];
  for (const predicateType of entry.predicateTypes) {
    const found = await verifyEntry(entry.by, image, { kind: 'attestation', predicateType }, ctx);
    if (found.length === 0) {
      throw new SigilError('NO_SIGNATURES', `no verified attestation of type ${predicateType}`);
    }
    verified.push(...found);
  }
  return verified;
}

// Policies name the same few keys in every review; parsing a PEM costs more than verifying a signature.
const parsedKeys = new Map<string, KeyObject>();
const PARSED_KEYS_LIMIT = 1024;

function policyKey(pem: string, where: string): KeyObject {
  let key = parsedKeys.get(pem);
  if (!key) {
    key = loadPublicKeyPem(pem, where);
    if (parsedKeys.size >= PARSED_KEYS_LIMIT) parsedKeys.clear();
    parsedKeys.set(pem, key);
  }
  return key;
}

/** The PEM key of a `k8s://` Secret, read now: a rotated key counts from the next verification. */
async function secretPublicKey(ref: string, ctx: VerifierContext): Promise<string> {
  if (!ctx.readKeySecret) {
    throw new SigilError(
      'UNSUPPORTED',
      `${ref}: keys in Kubernetes Secrets need the Kubernetes API`,
      'run the webhook in a cluster, or give it --kubeconfig',
    );
  }
  return ctx.readKeySecret(ref);
}

/** A key-based verification with `publicKey`, under the attestor's log settings. */
function keySigner(publicKey: KeyObject, tlog: TlogSettings, ctx: VerifierContext) {
  const logKey = tlog.publicKey ? policyKey(tlog.publicKey, 'attestor rekor.pubkey') : ctx.rekorPublicKey;
  if (!tlog.ignore && !logKey) {
    throw new SigilError(
      'TLOG_ENTRY_MISMATCH',
      'no trusted transparency log key for this attestor',
      'set rekor.pubkey (or rekor.ignoreTlog: true), or give the webhook the log key',
    );
  }
  return {
    publicKey,
    ignoreTlog: tlog.ignore,
    ...(logKey && !tlog.ignore ? { tlog: { logs: [{ publicKey: logKey }] } } : {}),
  };
}

/**
 * Kyverno's `certificates` attestor, as it drives cosign: with `cert`, signatures must verify with that
 * certificate's key (after the certificate is checked against `certChain`, when one is given); with
 * `certChain` alone, the signatures' own certificates must chain to it, whoever they name.
 */
function certificateSigner(entry: Extract<Attestor, { kind: 'certificate' }>, ctx: VerifierContext) {
  if (entry.cert) {
    const certificate = configuredCertificate(entry, ctx.trustedRoot);
    return keySigner(certificate.publicKey, entry.tlog, ctx);
  }
  let asKeyless = chainAttestors.get(entry);
  if (!asKeyless) {
    asKeyless = { roots: entry.certChain, tlog: entry.tlog, ctlog: entry.ctlog };
    chainAttestors.set(entry, asKeyless);
  }
  return keylessSigner(asKeyless, ctx);
}

/**
 * `certChain`-only attestors as the keyless attestors they amount to, one object each for the life of the
 * policy: the trusted root built from it, and the verifier built for that root, are cached per object.
 */
const chainAttestors = new WeakMap<
  Extract<Attestor, { kind: 'certificate' }>,
  Pick<Extract<Attestor, { kind: 'keyless' }>, 'roots' | 'tlog' | 'ctlog'>
>();

function keylessSigner(
  entry: Pick<Extract<Attestor, { kind: 'keyless' }>, 'tlog' | 'ctlog'> &
    Partial<Extract<Attestor, { kind: 'keyless' }>>,
  ctx: VerifierContext,
): { keyless: KeylessTrust; ignoreTlog: boolean } {
  const root = trustedRootWith(entry, ctx.trustedRoot);
  if (!root) {
    throw new SigilError(
      'BAD_INPUT',
      'keyless attestors need a trusted root',
      'pass --trusted-root (sigil serve writes one), or give the attestor its roots',
    );
  }
  requireTrustedLogs(root, entry, {
    tlog: 'set rekor.pubkey (or rekor.ignoreTlog: true), or give the webhook a trusted root',
    ctlog: 'set ctlog.pubkey (or ctlog.ignoreSCT: true), or give the webhook a trusted root',
  });
  // Kyverno's subject is a wildcard pattern; as a regexp it must match the whole identity. An attestor
  // with its own roots may leave subject and issuer open (the schema requires them otherwise).
  const policy = compilePartialIdentityPolicy(
    {
      ...(entry.subject !== undefined ? { identityRegexp: `^${wildcardSource(entry.subject)}$` } : {}),
      ...(entry.subjectRegExp !== undefined ? { identityRegexp: entry.subjectRegExp } : {}),
      ...(entry.issuer !== undefined ? { issuer: entry.issuer } : {}),
      ...(entry.issuerRegExp !== undefined ? { issuerRegexp: entry.issuerRegExp } : {}),
      ...githubExtensions(entry.additionalExtensions ?? {}),
    },
    { identityRegexp: 'subjectRegExp', issuerRegexp: 'issuerRegExp' },
  );
  return {
    keyless: { root, policy, ignoreTlog: entry.tlog.ignore, ignoreSct: entry.ctlog.ignoreSct },
    ignoreTlog: entry.tlog.ignore,
  };
}

const GITHUB_EXTENSIONS = new Set([
  'githubWorkflowTrigger',
  'githubWorkflowSha',
  'githubWorkflowName',
  'githubWorkflowRepository',
  'githubWorkflowRef',
]);

/** The GitHub workflow fields of Kyverno's additionalExtensions, as identity-policy fields. */
function githubExtensions(extensions: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(extensions).filter(([k]) => GITHUB_EXTENSIONS.has(k)));
}
