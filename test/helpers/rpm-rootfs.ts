/**
 * Real RPM package databases for the SBOM tests: tiny noarch packages built by rpmbuild from generated
 * specs, recorded into a fresh database by `rpm -i --justdb`, the way an image build records them.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { commandExists } from './peers.js';

export interface RpmSpec {
  name: string;
  version: string;
  release: string;
  epoch?: number;
  license: string;
  vendor?: string;
}

export function rpmToolsPresent(): boolean {
  return commandExists('rpmbuild') && commandExists('rpm');
}

/** Builds one empty noarch package in `workDir` and returns the path of the .rpm. */
export function buildRpm(workDir: string, spec: RpmSpec): string {
  const top = join(workDir, 'rpmbuild');
  const specFile = join(workDir, `${spec.name}.spec`);
  writeFileSync(
    specFile,
    [
      `Name: ${spec.name}`,
      `Version: ${spec.version}`,
      `Release: ${spec.release}`,
      ...(spec.epoch === undefined ? [] : [`Epoch: ${spec.epoch}`]),
      `License: ${spec.license}`,
      ...(spec.vendor ? [`Vendor: ${spec.vendor}`] : []),
      'Summary: sigil SBOM test package',
      'BuildArch: noarch',
      '%description',
      'A package with no files, for cataloger tests.',
      '%files',
      '',
    ].join('\n'),
  );
  execFileSync('rpmbuild', ['--define', `_topdir ${top}`, '-bb', specFile], { stdio: 'pipe' });
  const dir = join(top, 'RPMS', 'noarch');
  const rpm = readdirSync(dir).find((file) => file.startsWith(`${spec.name}-${spec.version}-`));
  if (!rpm) throw new Error(`rpmbuild made no package for ${spec.name} in ${dir}`);
  return join(dir, rpm);
}

/**
 * A root filesystem holding only an rpm database (at `dbDir` under the root) with `packages`
 * recorded in it, and an /etc/os-release with the given ID and VERSION_ID.
 */
export function rpmRootfs(
  root: string,
  packages: string[],
  options: { dbDir: string; osRelease?: { id: string; versionId: string } },
): string {
  const dbPath = join(root, options.dbDir);
  mkdirSync(dbPath, { recursive: true });
  execFileSync('rpm', ['--dbpath', dbPath, '--initdb'], { stdio: 'pipe' });
  execFileSync(
    'rpm',
    ['-i', '--dbpath', dbPath, '--justdb', '--nodeps', '--ignorearch', '--nosignature', ...packages],
    { stdio: 'pipe' },
  );
  if (options.osRelease) {
    mkdirSync(join(root, 'etc'), { recursive: true });
    writeFileSync(
      join(root, 'etc/os-release'),
      `ID=${options.osRelease.id}\nVERSION_ID="${options.osRelease.versionId}"\n`,
    );
  }
  return dbPath;
}

/** What rpm itself lists: one "name epoch version release arch license" line per package. */
export function rpmQueryAll(dbPath: string): string[] {
  return execFileSync(
    'rpm',
    ['-qa', '--dbpath', dbPath, '--qf', '%{NAME} %{EPOCH} %{VERSION} %{RELEASE} %{ARCH} %{LICENSE}\\n'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  )
    .split('\n')
    .filter((line) => line !== '');
}
