import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildPredicate, ciProvenance } from '../../src/formats/index.js';
import { errorLine, sigil, workDir } from '../helpers/cli.js';

const GITHUB = {
  GITHUB_ACTIONS: 'true',
  GITHUB_SERVER_URL: 'https://github.com',
  GITHUB_REPOSITORY: 'org/app',
  GITHUB_REPOSITORY_ID: '42',
  GITHUB_REF: 'refs/tags/v1.0.0',
  GITHUB_SHA: 'a'.repeat(40),
  GITHUB_WORKFLOW_REF: 'org/app/.github/workflows/release.yml@refs/tags/v1.0.0',
  GITHUB_RUN_ID: '123',
  GITHUB_RUN_ATTEMPT: '2',
  GITHUB_EVENT_NAME: 'push',
  RUNNER_ENVIRONMENT: 'github-hosted',
};

describe('SLSA v1 provenance from the CI environment', () => {
  it('describes a GitHub Actions run with GitHub’s workflow build type', () => {
    const p = ciProvenance(GITHUB);
    assert.equal(p.buildDefinition.buildType, 'https://actions.github.io/buildtypes/workflow/v1');
    assert.deepEqual(p.buildDefinition.externalParameters, {
      workflow: {
        ref: 'refs/tags/v1.0.0',
        repository: 'https://github.com/org/app',
        path: '.github/workflows/release.yml',
      },
    });
    assert.deepEqual(p.buildDefinition.resolvedDependencies, [
      { uri: 'git+https://github.com/org/app@refs/tags/v1.0.0', digest: { gitCommit: 'a'.repeat(40) } },
    ]);
    assert.equal(p.runDetails.builder.id, 'https://github.com/actions/runner/github-hosted');
    assert.equal(
      p.runDetails.metadata.invocationId,
      'https://github.com/org/app/actions/runs/123/attempts/2',
    );
    // It is what attest --type slsaprovenance1 accepts.
    assert.ok(buildPredicate('slsaprovenance1', Buffer.from(JSON.stringify(p)), 'provenance'));
  });

  it('describes a GitLab CI job', () => {
    const p = ciProvenance({
      GITLAB_CI: 'true',
      CI_SERVER_URL: 'https://gitlab.com',
      CI_PROJECT_PATH: 'group/app',
      CI_COMMIT_SHA: 'b'.repeat(40),
      CI_COMMIT_REF_NAME: 'main',
      CI_JOB_URL: 'https://gitlab.com/group/app/-/jobs/9',
      CI_CONFIG_PATH: '.gitlab-ci.yml',
      CI_RUNNER_ID: '7',
    });
    assert.equal(p.runDetails.metadata.invocationId, 'https://gitlab.com/group/app/-/jobs/9');
    assert.equal(p.buildDefinition.resolvedDependencies[0]?.digest.gitCommit, 'b'.repeat(40));
  });

  it('refuses outside CI and names missing variables; the CLI writes the file', async () => {
    assert.throws(() => ciProvenance({}), /not running in a CI job/);
    assert.throws(
      () => ciProvenance({ GITHUB_ACTIONS: 'true' }),
      /lacks GITHUB_SERVER_URL, GITHUB_REPOSITORY/,
    );
    const dir = await workDir();
    const outside = await sigil(['provenance'], { cwd: dir });
    assert.equal(outside.code, 1);
    assert.match(errorLine(outside), /not running in a CI job/);
    const inside = await sigil(['provenance', '--output-file', 'p.json'], { cwd: dir, env: GITHUB });
    assert.equal(inside.code, 0, inside.stderr);
  });
});
