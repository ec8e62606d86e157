/**
 * Real RPM package databases for the SBOM tests: tiny noarch packages built by rpmbuild from generated
 * specs, recorded into a fresh database by `rpm -i --justdb`, the way an image build records them.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
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

/** Berkeley DB's loader (Debian package db5.3-util), under either of its names. */
export function dbLoadCommand(): string | undefined {
  return ['db_load', 'db5.3_load'].find(commandExists);
}

/**
 * Copies the headers of the SQLite rpmdb in `sqliteDir` into a Berkeley DB hash file `Packages` in
 * `outDir`, written by Berkeley DB's own db_load and keyed as rpm keys it (record number in host byte
 * order; record 0 holds the next number), so rpm's bdb_ro backend reads it like a RHEL 8 database.
 */
export function berkeleyDbFrom(sqliteDir: string, outDir: string, pageSize: number): string {
  const load = dbLoadCommand();
  if (!load) throw new Error('db_load is not installed');
  const db = new Database(join(sqliteDir, 'rpmdb.sqlite'), { readonly: true });
  const rows = db.prepare('SELECT hnum, blob FROM Packages ORDER BY hnum').all() as {
    hnum: number;
    blob: Buffer;
  }[];
  db.close();
  const recordNumber = (n: number): string => {
    const key = Buffer.alloc(4);
    key.writeUInt32LE(n);
    return ` ${key.toString('hex')}`;
  };
  const dump = [
    'VERSION=3',
    'format=bytevalue',
    'type=hash',
    `db_pagesize=${pageSize}`,
    'HEADER=END',
    recordNumber(0),
    recordNumber(rows.length + 1),
    ...rows.flatMap(({ hnum, blob }) => [recordNumber(hnum), ` ${blob.toString('hex')}`]),
    'DATA=END',
    '',
  ].join('\n');
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, 'Packages');
  execFileSync(load, [file], { input: dump, stdio: ['pipe', 'pipe', 'pipe'] });
  return file;
}

/** What rpm itself lists: one "name epoch version release arch license" line per package. */
export function rpmQueryAll(dbPath: string, backend?: 'bdb_ro'): string[] {
  return execFileSync(
    'rpm',
    [
      ...(backend ? ['--define', `_db_backend ${backend}`] : []),
      '-qa',
      '--dbpath',
      dbPath,
      '--qf',
      '%{NAME} %{EPOCH} %{VERSION} %{RELEASE} %{ARCH} %{LICENSE}\\n',
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  )
    .split('\n')
    .filter((line) => line !== '');
}
