/**
 * The certificate profile: what goes into a code-signing certificate for a verified OIDC token. The
 * subject alternative name and the Sigstore extensions (OID arc 1.3.6.1.4.1.57264.1) depend on the
 * issuer's type, as Fulcio defines them, so verifiers can match identities and CI build metadata.
 */
import { SigilError } from '../core/index.js';
import { derUtf8String } from './der.js';
import type { SubjectAltNames } from './x509.js';

export type IssuerType = 'email' | 'github-workflow' | 'gitlab-pipeline' | 'kubernetes' | 'uri';
export const ISSUER_TYPES: readonly IssuerType[] = [
  'email',
  'github-workflow',
  'gitlab-pipeline',
  'kubernetes',
  'uri',
];

export type Claims = Record<string, unknown>;

export interface Identity {
  subjectAltNames: SubjectAltNames;
  /** The claim value the key holder must sign to prove possession (Fulcio's "challenge claim"). */
  challenge: string;
  extensions: Array<{ oid: string; value: Buffer }>;
}

const ARC = '1.3.6.1.4.1.57264.1';

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
  sourceRepositoryVisibility: `${ARC}.22`,
} as const;

export type SigstoreExtensionName = keyof typeof SIGSTORE_OID;

export interface ProfileOptions {
  type: IssuerType;
  issuer: string;
  /** Where CI identities live (GitHub: https://github.com; GitLab: from the issuer URL). */
  serverUrl?: string;
}

export function identityFor(claims: Claims, options: ProfileOptions): Identity {
  const identity = baseIdentity(claims, options);
  identity.extensions.unshift(
    // .1 is the deprecated raw-string form; .8 is the same value as a DER UTF8String.
    { oid: SIGSTORE_OID.issuerV1, value: Buffer.from(options.issuer, 'utf8') },
    { oid: SIGSTORE_OID.issuerV2, value: derUtf8String(options.issuer) },
  );
  return identity;
}

function baseIdentity(claims: Claims, options: ProfileOptions): Identity {
  switch (options.type) {
    case 'email':
      return emailIdentity(claims);
    case 'github-workflow':
      return githubIdentity(claims, options.serverUrl ?? 'https://github.com');
    case 'gitlab-pipeline':
      return gitlabIdentity(claims, options.serverUrl ?? new URL(options.issuer).origin);
    case 'kubernetes':
      return kubernetesIdentity(claims);
    case 'uri': {
      const sub = requireClaim(claims, 'sub');
      return { subjectAltNames: { uri: sub }, challenge: sub, extensions: [] };
    }
  }
}

function emailIdentity(claims: Claims): Identity {
  const email = requireClaim(claims, 'email');
  if (claims.email_verified !== true) {
    throw new SigilError(
      'BAD_TOKEN',
      `the token's email ${email} is not verified by its issuer (email_verified)`,
    );
  }
  return { subjectAltNames: { email }, challenge: email, extensions: [] };
}

function githubIdentity(claims: Claims, server: string): Identity {
  const claim = (name: string) => requireClaim(claims, name);
  const repository = claim('repository');
  const runUri = `${server}/${repository}/actions/runs/${claim('run_id')}/attempts/${claim('run_attempt')}`;
  const extensions = [
    raw(SIGSTORE_OID.githubWorkflowTrigger, claim('event_name')),
    raw(SIGSTORE_OID.githubWorkflowSha, claim('sha')),
    raw(SIGSTORE_OID.githubWorkflowName, claim('workflow')),
    raw(SIGSTORE_OID.githubWorkflowRepository, repository),
    raw(SIGSTORE_OID.githubWorkflowRef, claim('ref')),
    utf8(SIGSTORE_OID.buildSignerUri, `${server}/${claim('job_workflow_ref')}`),
    utf8(SIGSTORE_OID.buildSignerDigest, claim('job_workflow_sha')),
    utf8(SIGSTORE_OID.runnerEnvironment, claim('runner_environment')),
    utf8(SIGSTORE_OID.sourceRepositoryUri, `${server}/${repository}`),
    utf8(SIGSTORE_OID.sourceRepositoryDigest, claim('sha')),
    utf8(SIGSTORE_OID.sourceRepositoryRef, claim('ref')),
    utf8(SIGSTORE_OID.sourceRepositoryIdentifier, claim('repository_id')),
    utf8(SIGSTORE_OID.sourceRepositoryOwnerUri, `${server}/${claim('repository_owner')}`),
    utf8(SIGSTORE_OID.sourceRepositoryOwnerIdentifier, claim('repository_owner_id')),
    utf8(SIGSTORE_OID.buildConfigUri, `${server}/${claim('workflow_ref')}`),
    utf8(SIGSTORE_OID.buildConfigDigest, claim('workflow_sha')),
    utf8(SIGSTORE_OID.buildTrigger, claim('event_name')),
    utf8(SIGSTORE_OID.runInvocationUri, runUri),
  ];
  const visibility = optionalClaim(claims, 'repository_visibility');
  if (visibility) extensions.push(utf8(SIGSTORE_OID.sourceRepositoryVisibility, visibility));
  return {
    subjectAltNames: { uri: `${server}/${claim('job_workflow_ref')}` },
    challenge: claim('sub'),
    extensions,
  };
}

function gitlabIdentity(claims: Claims, server: string): Identity {
  const claim = (name: string) => requireClaim(claims, name);
  const project = claim('project_path');
  const configUri = `https://${claim('ci_config_ref_uri')}`;
  const refPrefix = claim('ref_type') === 'tag' ? 'refs/tags/' : 'refs/heads/';
  const extensions = [
    utf8(SIGSTORE_OID.buildSignerUri, configUri),
    utf8(SIGSTORE_OID.buildSignerDigest, claim('ci_config_sha')),
    utf8(SIGSTORE_OID.runnerEnvironment, claim('runner_environment')),
    utf8(SIGSTORE_OID.sourceRepositoryUri, `${server}/${project}`),
    utf8(SIGSTORE_OID.sourceRepositoryDigest, claim('sha')),
    utf8(SIGSTORE_OID.sourceRepositoryRef, `${refPrefix}${claim('ref')}`),
    utf8(SIGSTORE_OID.sourceRepositoryIdentifier, claim('project_id')),
    utf8(SIGSTORE_OID.sourceRepositoryOwnerUri, `${server}/${claim('namespace_path')}`),
    utf8(SIGSTORE_OID.sourceRepositoryOwnerIdentifier, claim('namespace_id')),
    utf8(SIGSTORE_OID.buildConfigUri, configUri),
    utf8(SIGSTORE_OID.buildConfigDigest, claim('ci_config_sha')),
    utf8(SIGSTORE_OID.buildTrigger, claim('pipeline_source')),
    utf8(SIGSTORE_OID.runInvocationUri, `${server}/${project}/-/jobs/${claim('job_id')}`),
  ];
  return { subjectAltNames: { uri: configUri }, challenge: claim('sub'), extensions };
}

function kubernetesIdentity(claims: Claims): Identity {
  const k8s = claims['kubernetes.io'];
  const namespace = isRecord(k8s) ? k8s.namespace : undefined;
  const account = isRecord(k8s) && isRecord(k8s.serviceaccount) ? k8s.serviceaccount.name : undefined;
  if (typeof namespace !== 'string' || typeof account !== 'string') {
    throw new SigilError('BAD_TOKEN', 'the token has no kubernetes.io namespace and service account claims');
  }
  return {
    subjectAltNames: { uri: `https://kubernetes.io/namespaces/${namespace}/serviceaccounts/${account}` },
    challenge: requireClaim(claims, 'sub'),
    extensions: [],
  };
}

function raw(oid: string, value: string) {
  return { oid, value: Buffer.from(value, 'utf8') };
}

function utf8(oid: string, value: string) {
  return { oid, value: derUtf8String(value) };
}

/** Claims are strings, but CI issuers send some ids as numbers; both are accepted as text. */
function optionalClaim(claims: Claims, name: string): string | undefined {
  const value = claims[name];
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number') return String(value);
  return undefined;
}

function requireClaim(claims: Claims, name: string): string {
  const value = optionalClaim(claims, name);
  if (value === undefined) throw new SigilError('BAD_TOKEN', `the token has no "${name}" claim`);
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
