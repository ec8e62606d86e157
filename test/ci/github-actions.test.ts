/**
 * The GitHub workflows of docs/ci/github, run for real by a local Actions runner (nektos/act, host mode:
 * no Docker) with this repository's action.yml installing the packed sigil: the job's ambient OIDC token
 * comes from the dev issuer's GitHub-style token endpoint, the images go to the embedded registry, and
 * what the workflow signed and attested then verifies with the workflow's identity.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type RunningStack, startStack } from '../../src/server/index.js';
import { ciRepo } from '../helpers/ci-repo.js';
import { runProcess, sigil } from '../helpers/cli.js';
import { npmEnv, packSigil, REPO_ROOT } from '../helpers/client-install.js';
import { requirePeer } from '../helpers/peers.js';

const act = requirePeer('act');
const WORKFLOWS = join(REPO_ROOT, 'docs', 'ci', 'github');
/** Where the docs say `uses: sigil-dev/sigil@v1`, the test repository has the action at its root. */
const ACTION_REF = 'sigil-dev/sigil@v1';

describe('docs/ci/github workflows under act (host mode)', { skip: act.skip }, () => {
  let root: string;
  let stack: RunningStack;
  let tarball: string;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'sigil-act-'));
    stack = await startStack({ dataDir: join(root, 'stack'), host: '127.0.0.1' });
    tarball = await packSigil(join(root, 'pack'));
  });
  after(async () => {
    await stack?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  /** Runs one workflow on a `push` of `ref`; returns the identity its certificate names, and the commit. */
  async function runWorkflow(file: string, ref: string): Promise<{ identity: string; sha: string }> {
    const workflow = readFileSync(join(WORKFLOWS, file), 'utf8');
    assert.ok(workflow.includes(`uses: ${ACTION_REF}`), `${file} installs sigil with ${ACTION_REF}`);
    const tag = ref.startsWith('refs/tags/') ? ref.slice('refs/tags/'.length) : undefined;
    const repo = ciRepo(
      join(root, file),
      'https://github.com/org/app.git',
      { [`.github/workflows/${file}`]: workflow.replaceAll(`uses: ${ACTION_REF}`, 'uses: ./') },
      tag,
    );
    const event = join(root, `${file}.event.json`);
    writeFileSync(event, JSON.stringify({ ref, after: repo.sha, repository: { full_name: 'org/app' } }));
    const job = new URLSearchParams({
      repository: 'org/app',
      ref,
      workflow: file,
      sha: repo.sha,
      event: 'push',
    });
    const result = await runProcess(
      act.path,
      [
        'push',
        '--eventpath',
        event,
        '--workflows',
        `.github/workflows/${file}`,
        '-P',
        'ubuntu-latest=-self-hosted',
        '-P',
        'ubuntu-24.04=-self-hosted',
        '--no-cache-server',
        '--var',
        `REGISTRY=${stack.registryAddress}`,
        '--var',
        `OIDC_ISSUER=${stack.issuers['github-actions']}`,
        '--var',
        `SIGIL_PACKAGE=${tarball}`,
        '--var',
        `SIGIL_TRUSTED_ROOT=${stack.trustedRootPath}`,
        '--var',
        `SIGIL_SIGNING_CONFIG=${stack.signingConfigPath}`,
        '--env',
        `ACTIONS_ID_TOKEN_REQUEST_URL=${stack.urls.oidc}/github-actions/token?${job}`,
        '--env',
        'ACTIONS_ID_TOKEN_REQUEST_TOKEN=act-job-token',
      ],
      {
        cwd: repo.dir,
        env: {
          // act keeps its workspaces and tool cache under HOME; npm keeps using the machine's warm cache.
          HOME: join(root, 'home'),
          ...npmEnv(),
        },
      },
    );
    assert.equal(result.code, 0, `act ${file}:\n${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, /Job succeeded/);
    return { identity: `https://github.com/org/app/.github/workflows/${file}@${ref}`, sha: repo.sha };
  }

  const verifyAs = (identity: string, command: string[], image: string) =>
    sigil(
      [
        ...command,
        '--certificate-identity',
        identity,
        '--certificate-oidc-issuer',
        stack.issuers['github-actions'],
        image,
      ],
      {
        cwd: root,
        env: { SIGIL_TRUSTED_ROOT: stack.trustedRootPath },
      },
    );

  it("the French reference's build-sign job: the pushed digest is signed and SBOM-attested by the workflow", async () => {
    const { identity, sha } = await runWorkflow('build-sign-attest.yml', 'refs/heads/main');
    const image = `${stack.registryAddress}/org/app:${sha}`;
    const verified = await verifyAs(identity, ['verify'], image);
    assert.equal(verified.code, 0, verified.stderr);
    const attested = await verifyAs(identity, ['verify-attestation', '--type', 'cyclonedx'], image);
    assert.equal(attested.code, 0, attested.stderr);
    const other = await verifyAs(identity.replace('@refs/heads/main', '@refs/heads/dev'), ['verify'], image);
    assert.equal(other.code, 1, 'another ref of the workflow is another identity');
  });

  it('the Kyverno chapter\'s "Build, Sign, and Attest" on a tag: signature, SPDX and vuln attestations', async () => {
    const { identity } = await runWorkflow('build-sign.yaml', 'refs/tags/v1.0.0');
    const image = `${stack.registryAddress}/org/app:v1.0.0`;
    assert.equal((await verifyAs(identity, ['verify'], image)).code, 0);
    for (const type of ['spdxjson', 'vuln']) {
      const attested = await verifyAs(identity, ['verify-attestation', '--type', type], image);
      assert.equal(attested.code, 0, `${type}: ${attested.stderr}`);
    }
  });

  it("the ADR's pipeline, whose last step is the deployer's verification", async () => {
    const { identity } = await runWorkflow('supply-chain.yml', 'refs/heads/main');
    const image = `${stack.registryAddress}/org/app/cicd-sample:latest`;
    assert.equal((await verifyAs(identity, ['verify-attestation', '--type', 'spdxjson'], image)).code, 0);
  });
});
