/**
 * The GitLab pipeline of docs/ci/gitlab with the sigil component (templates/sign.yml), run for real by
 * gitlab-ci-local with the shell executor: the build job pushes with `sigil load`, the component's job signs
 * and attests with a GitLab-shaped SIGSTORE_ID_TOKEN from the dev issuer (what `id_tokens` gives a job)
 * and verifies with the pipeline's identity; the image then verifies here with that identity too.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type RunningStack, startStack } from '../../src/server/index.js';
import { ciRepo } from '../helpers/ci-repo.js';
import { runProcess, sigil } from '../helpers/cli.js';
import { npmEnv, packSigil, REPO_ROOT } from '../helpers/client-install.js';
import { requirePeer } from '../helpers/peers.js';

const gitlabCiLocal = requirePeer('gitlab-ci-local');
/** Where the docs include the published component, the test repository includes its own copy. */
const COMPONENT = 'component: $CI_SERVER_FQDN/sigil-dev/sigil/sign@v1';

describe('docs/ci/gitlab pipeline with the sign component under gitlab-ci-local (shell executor)', {
  skip: gitlabCiLocal.skip,
}, () => {
  let root: string;
  let stack: RunningStack;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'sigil-gitlab-'));
    stack = await startStack({ dataDir: join(root, 'stack'), host: '127.0.0.1' });
  });
  after(async () => {
    await stack?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('builds, pushes, signs and attests; the image verifies with the pipeline identity', async () => {
    const pipeline = readFileSync(join(REPO_ROOT, 'docs', 'ci', 'gitlab', '.gitlab-ci.yml'), 'utf8');
    assert.ok(pipeline.includes(COMPONENT));
    const repo = ciRepo(join(root, 'repo'), 'https://gitlab.com/org/app.git', {
      '.gitlab-ci.yml': pipeline.replace(COMPONENT, 'local: templates/sign.yml'),
    });
    const token = await stack.mintToken({
      kind: 'gitlab',
      repository: 'org/app',
      ref: 'refs/heads/main',
      sha: repo.sha,
    });
    const variables = {
      REGISTRY: stack.registryAddress,
      SIGIL_PACKAGE: await packSigil(join(root, 'pack')),
      SIGIL_TRUSTED_ROOT_FILE: stack.trustedRootPath,
      SIGIL_SIGNING_CONFIG_FILE: stack.signingConfigPath,
      SIGIL_OIDC_ISSUER: stack.issuers.gitlab,
      SIGSTORE_ID_TOKEN: token,
    };
    const home = join(root, 'home');
    const result = await runProcess(
      gitlabCiLocal.path,
      [
        '--force-shell-executor',
        '--home',
        home,
        ...Object.entries(variables).flatMap(([name, value]) => ['--variable', `${name}=${value}`]),
      ],
      {
        cwd: repo.dir,
        env: { HOME: home, ...npmEnv() },
      },
    );
    assert.equal(result.code, 0, `gitlab-ci-local:\n${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, /sigil-sign +finished/);

    const image = `${stack.registryAddress}/org/app:${repo.sha.slice(0, 8)}`;
    const identity = ['--certificate-identity', 'https://gitlab.com/org/app//.gitlab-ci.yml@refs/heads/main'];
    const issuer = ['--certificate-oidc-issuer', stack.issuers.gitlab];
    const env = { SIGIL_TRUSTED_ROOT: stack.trustedRootPath };
    const verified = await sigil(['verify', ...identity, ...issuer, image], { cwd: root, env });
    assert.equal(verified.code, 0, verified.stderr);
    const attested = await sigil(
      ['verify-attestation', '--type', 'spdxjson', ...identity, ...issuer, image],
      {
        cwd: root,
        env,
      },
    );
    assert.equal(attested.code, 0, attested.stderr);
  });
});
