/**
 * A SLSA v1 provenance predicate (https://slsa.dev/provenance/v1) describing the CI run that is building
 * right now, from the variables the CI sets: GitHub Actions (with GitHub's workflow build type, as its
 * attest-build-provenance action records it) or GitLab CI. Outside CI there is nothing true to say, so
 * it is an error rather than a made-up document.
 */
import { SigilError } from '../core/index.js';

type Env = Record<string, string | undefined>;

export interface SlsaProvenance {
  buildDefinition: {
    buildType: string;
    externalParameters: Record<string, unknown>;
    internalParameters: Record<string, unknown>;
    resolvedDependencies: { uri: string; digest: Record<string, string> }[];
  };
  runDetails: { builder: { id: string }; metadata: { invocationId: string; startedOn?: string } };
}

export const GITHUB_WORKFLOW_BUILD_TYPE = 'https://actions.github.io/buildtypes/workflow/v1';
/** GitLab publishes no build type for this shape; ours names what externalParameters hold. */
export const GITLAB_PIPELINE_BUILD_TYPE = 'https://sigil.dev/buildtypes/gitlab-ci/v1';

export function ciProvenance(env: Env = process.env, startedOn?: Date): SlsaProvenance {
  const started = startedOn ? { startedOn: startedOn.toISOString() } : {};
  if (env.GITHUB_ACTIONS === 'true') return githubProvenance(env, started);
  if (env.GITLAB_CI === 'true') return gitlabProvenance(env, started);
  throw new SigilError(
    'BAD_INPUT',
    'not running in a CI job: neither GITHUB_ACTIONS nor GITLAB_CI is set',
    'run sigil provenance inside the GitHub Actions or GitLab CI job that builds the image',
  );
}

function required(env: Env, names: string[]): Record<string, string> {
  const missing = names.filter((n) => !env[n]);
  if (missing.length > 0) {
    throw new SigilError(
      'BAD_INPUT',
      `the CI environment lacks ${missing.join(', ')}, needed for provenance`,
    );
  }
  return Object.fromEntries(names.map((n) => [n, env[n] as string]));
}

function githubProvenance(env: Env, started: { startedOn?: string }): SlsaProvenance {
  const v = required(env, [
    'GITHUB_SERVER_URL',
    'GITHUB_REPOSITORY',
    'GITHUB_REF',
    'GITHUB_SHA',
    'GITHUB_WORKFLOW_REF',
    'GITHUB_RUN_ID',
  ]);
  const server = v.GITHUB_SERVER_URL as string;
  const repository = `${server}/${v.GITHUB_REPOSITORY}`;
  // GITHUB_WORKFLOW_REF is `owner/repo/.github/workflows/file.yml@ref`: the path sits between repo and @.
  const workflowPath = (v.GITHUB_WORKFLOW_REF as string)
    .slice((v.GITHUB_REPOSITORY as string).length + 1)
    .split('@')[0];
  return {
    buildDefinition: {
      buildType: GITHUB_WORKFLOW_BUILD_TYPE,
      externalParameters: { workflow: { ref: v.GITHUB_REF, repository, path: workflowPath } },
      internalParameters: {
        github: {
          event_name: env.GITHUB_EVENT_NAME ?? '',
          repository_id: env.GITHUB_REPOSITORY_ID ?? '',
          repository_owner_id: env.GITHUB_REPOSITORY_OWNER_ID ?? '',
          runner_environment: env.RUNNER_ENVIRONMENT ?? '',
        },
      },
      resolvedDependencies: [
        { uri: `git+${repository}@${v.GITHUB_REF}`, digest: { gitCommit: v.GITHUB_SHA as string } },
      ],
    },
    runDetails: {
      builder: {
        id:
          env.RUNNER_ENVIRONMENT === 'self-hosted'
            ? `${server}/${v.GITHUB_WORKFLOW_REF}`
            : 'https://github.com/actions/runner/github-hosted',
      },
      metadata: {
        invocationId: `${repository}/actions/runs/${v.GITHUB_RUN_ID}/attempts/${env.GITHUB_RUN_ATTEMPT ?? '1'}`,
        ...started,
      },
    },
  };
}

function gitlabProvenance(env: Env, started: { startedOn?: string }): SlsaProvenance {
  const v = required(env, [
    'CI_SERVER_URL',
    'CI_PROJECT_PATH',
    'CI_COMMIT_SHA',
    'CI_COMMIT_REF_NAME',
    'CI_JOB_URL',
    'CI_CONFIG_PATH',
  ]);
  const repository = `${v.CI_SERVER_URL}/${v.CI_PROJECT_PATH}`;
  return {
    buildDefinition: {
      buildType: GITLAB_PIPELINE_BUILD_TYPE,
      externalParameters: { source: { repository, ref: v.CI_COMMIT_REF_NAME }, entryPoint: v.CI_CONFIG_PATH },
      internalParameters: {
        gitlab: {
          pipeline_source: env.CI_PIPELINE_SOURCE ?? '',
          runner_id: env.CI_RUNNER_ID ?? '',
          job_name: env.CI_JOB_NAME ?? '',
        },
      },
      resolvedDependencies: [
        {
          uri: `git+${repository}@${v.CI_COMMIT_REF_NAME}`,
          digest: { gitCommit: v.CI_COMMIT_SHA as string },
        },
      ],
    },
    runDetails: {
      builder: { id: `${v.CI_SERVER_URL}/${v.CI_PROJECT_PATH}/-/runners/${env.CI_RUNNER_ID ?? 'unknown'}` },
      metadata: { invocationId: v.CI_JOB_URL as string, ...started },
    },
  };
}
