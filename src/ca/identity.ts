/**
 * What every certificate profile shares: the token claims it reads, the identity it produces (SAN,
 * challenge claim, Sigstore extensions), Fulcio's extension numbers under OID arc 1.3.6.1.4.1.57264.1
 * and how each is encoded, so the per-issuer-type builders only decide values.
 */
import { derUtf8String, SigilError } from '../core/index.js';
import type { SubjectAltNames } from './x509.js';

export type Claims = Record<string, unknown>;

export interface Identity {
  subjectAltNames: SubjectAltNames;
  /** The claim value the key holder must sign to prove possession (Fulcio's "challenge claim"). */
  challenge: string;
  extensions: Array<{ oid: string; value: Buffer }>;
}

const ARC = '1.3.6.1.4.1.57264.1';

/** The OtherName type id Fulcio puts `username!domain` identities under (a SAN, not an extension). */
export const USERNAME_OTHER_NAME_OID = `${ARC}.7`;

/** Fulcio's extension numbers under the Sigstore arc, by name. */
export const SIGSTORE_OID = {
  issuerV1: `${ARC}.1`,
  githubWorkflowTrigger: `${ARC}.2`,
  githubWorkflowSha: `${ARC}.3`,
  githubWorkflowName: `${ARC}.4`,
  githubWorkflowRepository: `${ARC}.5`,
  githubWorkflowRef: `${ARC}.6`,
  issuerV2: `${ARC}.8`,
  buildSignerUri: `${ARC}.9`,
  buildSignerDigest: `${ARC}.10`,
  runnerEnvironment: `${ARC}.11`,
  sourceRepositoryUri: `${ARC}.12`,
  sourceRepositoryDigest: `${ARC}.13`,
  sourceRepositoryRef: `${ARC}.14`,
  sourceRepositoryIdentifier: `${ARC}.15`,
  sourceRepositoryOwnerUri: `${ARC}.16`,
  sourceRepositoryOwnerIdentifier: `${ARC}.17`,
  buildConfigUri: `${ARC}.18`,
  buildConfigDigest: `${ARC}.19`,
  buildTrigger: `${ARC}.20`,
  runInvocationUri: `${ARC}.21`,
  sourceRepositoryVisibilityAtSigning: `${ARC}.22`,
  deploymentEnvironment: `${ARC}.23`,
  tokenSubject: `${ARC}.24`,
} as const;

export type SigstoreExtensionName = keyof typeof SIGSTORE_OID;

/** The deprecated extensions Fulcio still writes as raw bytes; all later ones are DER UTF8Strings. */
const RAW_EXTENSIONS: ReadonlySet<SigstoreExtensionName> = new Set([
  'issuerV1',
  'githubWorkflowTrigger',
  'githubWorkflowSha',
  'githubWorkflowName',
  'githubWorkflowRepository',
  'githubWorkflowRef',
]);

export function sigstoreExtension(
  name: SigstoreExtensionName,
  value: string,
): { oid: string; value: Buffer } {
  const oid = SIGSTORE_OID[name];
  return { oid, value: RAW_EXTENSIONS.has(name) ? Buffer.from(value, 'utf8') : derUtf8String(value) };
}

/**
 * A claim as text, or undefined when absent or not a scalar. CI issuers send some ids as numbers; Fulcio
 * prints them without exponent or trailing zeros, as String() does for the integers tokens carry.
 */
export function claimText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/** A non-empty claim as text, or undefined. */
export function optionalClaim(claims: Claims, name: string): string | undefined {
  const value = claimText(claims[name]);
  return value === '' ? undefined : value;
}

export function requireClaim(claims: Claims, name: string): string {
  const value = optionalClaim(claims, name);
  if (value === undefined) throw new SigilError('BAD_TOKEN', `the token has no "${name}" claim`);
  return value;
}
