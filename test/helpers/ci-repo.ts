/**
 * A throwaway git repository shaped like a user's: this clone's action.yml and GitLab component, the build
 * script of docs/ci, a one-file app, and the CI file under test, committed on main with a GitHub or GitLab
 * remote. The local
 * CI runners (act, gitlab-ci-local) run it as the hosted ones would run the user's repository.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from './client-install.js';

export interface CiRepo {
  dir: string;
  sha: string;
}

/** `files` maps repository paths to contents; they are added to the action, the build script and app/. */
export function ciRepo(dir: string, remote: string, files: Record<string, string>, tag?: string): CiRepo {
  const all: Record<string, string> = {
    'app/hello': '#!/bin/sh\necho hello from a signed image\n',
    ...files,
  };
  for (const [path, content] of Object.entries(all)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  chmodSync(join(dir, 'app/hello'), 0o755);
  for (const path of ['action.yml', 'templates/sign.yml', 'docs/ci/build-oci-layout.sh']) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    copyFileSync(join(REPO_ROOT, path), join(dir, path));
  }
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=ci', '-c', 'user.email=ci@example.com', ...args], {
      cwd: dir,
      encoding: 'utf8',
    }).trim();
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-qm', 'app');
  git('remote', 'add', 'origin', remote);
  if (tag) git('tag', tag);
  return { dir, sha: git('rev-parse', 'HEAD') };
}
