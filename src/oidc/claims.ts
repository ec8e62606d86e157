/**
 * Claim sets the dev issuer mints: a person (verified email) and CI jobs shaped like GitHub Actions and
 * GitLab CI tokens, so CI identities and the certificate extensions built from them can be exercised
 * without a real CI. Field names and formats follow GitHub's and GitLab's documented OIDC claims.
 */
import { randomInt } from 'node:crypto';

export type DevIdentityKind = 'email' | 'github-actions' | 'gitlab';
export const DEV_IDENTITY_KINDS: readonly DevIdentityKind[] = ['email', 'github-actions', 'gitlab'];

export interface DevIdentityOptions {
  email?: string;
  /** `owner/name` on GitHub, `group/project` on GitLab. */
  repository?: string;
  /** Full ref, e.g. `refs/heads/main` or `refs/tags/v1.0.0`. */
  ref?: string;
  /** GitHub: the workflow file under .github/workflows/. */
  workflow?: string;
  event?: string;
  sha?: string;
}

export type ClaimSet = Record<string, string | number | boolean>;

export function devClaims(kind: DevIdentityKind, options: DevIdentityOptions = {}): ClaimSet {
  switch (kind) {
    case 'email': {
      const email = options.email ?? 'developer@example.com';
      return { sub: email, email, email_verified: true };
    }
    case 'github-actions':
      return githubActionsClaims(options);
    case 'gitlab':
      return gitlabClaims(options);
  }
}

function githubActionsClaims(options: DevIdentityOptions): ClaimSet {
  const repository = options.repository ?? 'sigil-dev/app';
  const ref = options.ref ?? 'refs/heads/main';
  const owner = repository.split('/')[0] ?? repository;
  const workflowFile = options.workflow ?? 'release.yml';
  const workflowRef = `${repository}/.github/workflows/${workflowFile}@${ref}`;
  const sha = options.sha ?? '0123456789abcdef0123456789abcdef01234567';
  return {
    sub: `repo:${repository}:ref:${ref}`,
    ref,
    ref_type: ref.startsWith('refs/tags/') ? 'tag' : 'branch',
    sha,
    repository,
    repository_id: '100001',
    repository_owner: owner,
    repository_owner_id: '100000',
    repository_visibility: 'public',
    actor: owner,
    actor_id: '100000',
    workflow: workflowFile.replace(/\.ya?ml$/, ''),
    workflow_ref: workflowRef,
    workflow_sha: sha,
    job_workflow_ref: workflowRef,
    job_workflow_sha: sha,
    event_name: options.event ?? 'push',
    run_id: String(randomInt(1_000_000, 9_999_999)),
    run_number: '1',
    run_attempt: '1',
    runner_environment: 'github-hosted',
  };
}

function gitlabClaims(options: DevIdentityOptions): ClaimSet {
  const project = options.repository ?? 'sigil-dev/app';
  const ref = (options.ref ?? 'refs/heads/main').replace(/^refs\/(heads|tags)\//, '');
  const refType = options.ref?.startsWith('refs/tags/') ? 'tag' : 'branch';
  const namespace = project.split('/')[0] ?? project;
  const sha = options.sha ?? '0123456789abcdef0123456789abcdef01234567';
  return {
    sub: `project_path:${project}:ref_type:${refType}:ref:${ref}`,
    namespace_id: '200000',
    namespace_path: namespace,
    project_id: '200001',
    project_path: project,
    user_login: namespace,
    pipeline_id: String(randomInt(1_000_000, 9_999_999)),
    pipeline_source: options.event ?? 'push',
    job_id: String(randomInt(1_000_000, 9_999_999)),
    ref,
    ref_type: refType,
    ref_protected: 'true',
    sha,
    ci_config_ref_uri: `gitlab.com/${project}//.gitlab-ci.yml@refs/${refType === 'tag' ? 'tags' : 'heads'}/${ref}`,
    ci_config_sha: sha,
    runner_environment: 'gitlab-hosted',
  };
}
