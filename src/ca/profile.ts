/**
 * The certificate profile: what goes into a code-signing certificate for a verified OIDC token. The
 * subject alternative name and the Sigstore extensions (OID arc 1.3.6.1.4.1.57264.1) depend on the
 * issuer's type, as Fulcio defines them, so verifiers can match identities and CI build metadata.
 */
import { isRecord, SigilError } from '../core/index.js';
import { type CiProvider, ciProviderIdentity } from './ci-provider.js';
import { spiffeIdentity, uriIdentity, usernameIdentity } from './domain-identities.js';
import {
  type Claims,
  sigstoreExtension as ext,
  type Identity,
  optionalClaim,
  requireClaim,
} from './identity.js';

export type IssuerType =
  | 'email'
  | 'github-workflow'
  | 'gitlab-pipeline'
  | 'buildkite-job'
  | 'codefresh-workflow'
  | 'chainguard-identity'
  | 'ci-provider'
  | 'kubernetes'
  | 'spiffe'
  | 'uri'
  | 'username';
export const ISSUER_TYPES: readonly IssuerType[] = [
  'email',
  'github-workflow',
  'gitlab-pipeline',
  'buildkite-job',
  'codefresh-workflow',
  'chainguard-identity',
  'ci-provider',
  'kubernetes',
  'spiffe',
  'uri',
  'username',
];

export interface ProfileOptions {
  type: IssuerType;
  issuer: string;
  /** Where CI identities live (GitHub: https://github.com; GitLab: from the issuer URL). */
  serverUrl?: string;
  /** `uri`: the scheme and host subjects must have; `username`: the domain appended to the name. */
  subjectDomain?: string;
  /** `spiffe`: the only trust domain whose SPIFFE IDs the issuer may vouch for. */
  spiffeTrustDomain?: string;
  /** `ci-provider`: the provider's templates from the config's CIIssuerMetadata. */
  ciProvider?: CiProvider;
}

export function identityFor(claims: Claims, options: ProfileOptions): Identity {
  const identity = baseIdentity(claims, options);
  identity.extensions.unshift(
    // .1 is the deprecated raw-string form; .8 is the same value as a DER UTF8String.
    ext('issuerV1', options.issuer),
    ext('issuerV2', options.issuer),
  );
  // Fulcio keeps the raw `sub` (.24) whatever the SAN was built from, so verifiers can match on it.
  const sub = optionalClaim(claims, 'sub');
  if (sub) identity.extensions.push(ext('tokenSubject', sub));
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
    case 'buildkite-job':
      return buildkiteIdentity(claims);
    case 'codefresh-workflow':
      return codefreshIdentity(claims);
    case 'chainguard-identity':
      return chainguardIdentity(claims, options.issuer);
    case 'ci-provider':
      if (!options.ciProvider) {
        throw new SigilError(
          'BAD_TOKEN',
          `the ci-provider issuer ${options.issuer} has no CIProvider metadata`,
        );
      }
      return ciProviderIdentity(claims, options.ciProvider);
    case 'kubernetes':
      return kubernetesIdentity(claims);
    case 'spiffe':
      return spiffeIdentity(claims, options.spiffeTrustDomain);
    case 'uri':
      return uriIdentity(claims, options.subjectDomain);
    case 'username':
      return usernameIdentity(claims, options.subjectDomain);
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
    ext('githubWorkflowTrigger', claim('event_name')),
    ext('githubWorkflowSha', claim('sha')),
    ext('githubWorkflowName', claim('workflow')),
    ext('githubWorkflowRepository', repository),
    ext('githubWorkflowRef', claim('ref')),
    ext('buildSignerUri', `${server}/${claim('job_workflow_ref')}`),
    ext('buildSignerDigest', claim('job_workflow_sha')),
    ext('runnerEnvironment', claim('runner_environment')),
    ext('sourceRepositoryUri', `${server}/${repository}`),
    ext('sourceRepositoryDigest', claim('sha')),
    ext('sourceRepositoryRef', claim('ref')),
    ext('sourceRepositoryIdentifier', claim('repository_id')),
    ext('sourceRepositoryOwnerUri', `${server}/${claim('repository_owner')}`),
    ext('sourceRepositoryOwnerIdentifier', claim('repository_owner_id')),
    ext('buildConfigUri', `${server}/${claim('workflow_ref')}`),
    ext('buildConfigDigest', claim('workflow_sha')),
    ext('buildTrigger', claim('event_name')),
    ext('runInvocationUri', runUri),
  ];
  extensions.push(...optionalCiExtensions(claims, 'repository_visibility'));
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
    ext('buildSignerUri', configUri),
    ext('buildSignerDigest', claim('ci_config_sha')),
    ext('runnerEnvironment', claim('runner_environment')),
    ext('sourceRepositoryUri', `${server}/${project}`),
    ext('sourceRepositoryDigest', claim('sha')),
    ext('sourceRepositoryRef', `${refPrefix}${claim('ref')}`),
    ext('sourceRepositoryIdentifier', claim('project_id')),
    ext('sourceRepositoryOwnerUri', `${server}/${claim('namespace_path')}`),
    ext('sourceRepositoryOwnerIdentifier', claim('namespace_id')),
    ext('buildConfigUri', configUri),
    ext('buildConfigDigest', claim('ci_config_sha')),
    ext('buildTrigger', claim('pipeline_source')),
    ext('runInvocationUri', `${server}/${project}/-/jobs/${claim('job_id')}`),
  ];
  extensions.push(...optionalCiExtensions(claims, 'project_visibility'));
  return { subjectAltNames: { uri: configUri }, challenge: claim('sub'), extensions };
}

/**
 * What Fulcio records only when the CI token has it: the repository's visibility at signing time and
 * the deployment environment the job targets.
 */
function optionalCiExtensions(claims: Claims, visibilityClaim: string): Identity['extensions'] {
  const extensions: Identity['extensions'] = [];
  const visibility = optionalClaim(claims, visibilityClaim);
  if (visibility) extensions.push(ext('sourceRepositoryVisibilityAtSigning', visibility));
  const environment = optionalClaim(claims, 'environment');
  if (environment) extensions.push(ext('deploymentEnvironment', environment));
  return extensions;
}

/** Buildkite job tokens: the SAN is the pipeline's page; the job itself is proven by its `sub`. */
function buildkiteIdentity(claims: Claims): Identity {
  const pipeline = `https://buildkite.com/${requireClaim(claims, 'organization_slug')}/${requireClaim(claims, 'pipeline_slug')}`;
  return { subjectAltNames: { uri: pipeline }, challenge: requireClaim(claims, 'sub'), extensions: [] };
}

const CODEFRESH_PLATFORM_URL = 'https://g.codefresh.io';

/**
 * Codefresh workflow tokens. The SAN names the pipeline by account and pipeline names and IDs
 * (`<platform>/<account name>/<pipeline name>:<account id>/<pipeline id>`), so identities can be matched
 * on names, which may change, or IDs, which do not; the build (workflow) is the signer and invocation.
 */
function codefreshIdentity(claims: Claims): Identity {
  const claim = (name: string) => requireClaim(claims, name);
  const platform = optionalClaim(claims, 'platform_url') ?? CODEFRESH_PLATFORM_URL;
  const account = optionalClaim(claims, 'account_name') ?? '';
  const pipeline = optionalClaim(claims, 'pipeline_name') ?? '';
  const [accountId, pipelineId, workflowId] = [
    claim('account_id'),
    claim('pipeline_id'),
    claim('workflow_id'),
  ];
  const build = joinUrlPath(platform, 'build', workflowId);
  const optional = (extension: Parameters<typeof ext>[0], name: string) => {
    const value = optionalClaim(claims, name);
    return value ? [ext(extension, value)] : [];
  };
  return {
    subjectAltNames: { uri: joinUrlPath(platform, account, `${pipeline}:${accountId}/${pipelineId}`) },
    challenge: claim('sub'),
    extensions: [
      ext('buildSignerUri', build),
      ...optional('runnerEnvironment', 'runner_environment'),
      ...optional('sourceRepositoryUri', 'scm_repo_url'),
      ...optional('sourceRepositoryRef', 'scm_ref'),
      ext('buildConfigUri', joinUrlPath(platform, 'api', 'pipelines', pipelineId)),
      ext('runInvocationUri', build),
    ],
  };
}

/**
 * Chainguard identity tokens: the SAN is `<issuer>/<sub>`; the challenge is what cosign signs for any
 * token, the verified email if there is one, else `sub`.
 */
function chainguardIdentity(claims: Claims, issuer: string): Identity {
  const sub = requireClaim(claims, 'sub');
  const email = optionalClaim(claims, 'email');
  return {
    subjectAltNames: { uri: joinUrlPath(issuer, sub) },
    challenge: email && claims.email_verified === true ? email : sub,
    extensions: [],
  };
}

/** `base` with `parts` appended to its path (as Go's URL.JoinPath: one slash between, dot segments resolved). */
function joinUrlPath(base: string, ...parts: string[]): string {
  const url = new URL(base);
  url.pathname = [url.pathname.replace(/\/+$/, ''), ...parts].join('/').replace(/\/{2,}/g, '/');
  return url.toString();
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
