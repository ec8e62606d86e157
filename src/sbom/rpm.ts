/**
 * RPM cataloger: reads the SQLite package database of Fedora, RHEL/UBI 9, Amazon Linux 2023 and
 * openSUSE and the Berkeley DB one of RHEL 8 and older, and reports SUSE's NDB databases, which it
 * finds but cannot read.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { lazyOptionalRequire, SigilError } from '../core/index.js';
import type { Distro, FileView, SbomPackage } from './model.js';
import { distroQualifier, enc } from './purl.js';
import { readBerkeleyDbHash } from './rpm-bdb.js';
import { parseRpmHeader, RPMTAG, type RpmTagValue } from './rpm-header.js';

const loadSqlite = lazyOptionalRequire<typeof Database>(
  'better-sqlite3',
  'reading an RPM SQLite package database',
);

/** /var/lib/rpm on Fedora 33+, RHEL 9, Amazon Linux 2023; /usr/lib/sysimage/rpm on newer Fedora and openSUSE. */
const SQLITE_DATABASES = ['var/lib/rpm/rpmdb.sqlite', 'usr/lib/sysimage/rpm/rpmdb.sqlite'];
/** Write-ahead log beside a SQLite database: committed transactions not yet copied into the database file. */
const WAL_SUFFIX = '-wal';
/** Berkeley DB hash databases: RHEL/CentOS 8 and older, Amazon Linux 2. */
const BERKELEY_DATABASES = ['var/lib/rpm/Packages', 'usr/lib/sysimage/rpm/Packages'];
/** SUSE's NDB format, which this cataloger does not read. */
const NDB_DATABASES = ['var/lib/rpm/Packages.db', 'usr/lib/sysimage/rpm/Packages.db'];

export function isRpmDatabase(path: string): boolean {
  return (
    SQLITE_DATABASES.some((db) => path === db || path === `${db}${WAL_SUFFIX}`) ||
    BERKELEY_DATABASES.includes(path)
  );
}

/** Only the presence of these matters (they are reported, not read), so the file view keeps no bytes of them. */
export function isUnreadRpmDatabase(path: string): boolean {
  return NDB_DATABASES.includes(path);
}

interface HeaderRow {
  hnum: number;
  blob: Buffer;
}

/**
 * SQLite reads only files, and an in-memory copy cannot open a WAL-mode database (as rpm writes it),
 * so the database and its WAL go to a private temporary directory that is removed afterwards.
 */
function readHeaderRows(database: Buffer, wal: Buffer | undefined, where: string): HeaderRow[] {
  const dir = mkdtempSync(join(tmpdir(), 'sigil-rpmdb-'));
  try {
    const file = join(dir, 'rpmdb.sqlite');
    writeFileSync(file, database);
    if (wal) writeFileSync(`${file}${WAL_SUFFIX}`, wal);
    let db: Database.Database | undefined;
    let rows: unknown[];
    try {
      db = new (loadSqlite())(file, { readonly: true, fileMustExist: true });
      rows = db.prepare('SELECT hnum, blob FROM Packages ORDER BY hnum').all();
    } catch (err) {
      throw new SigilError(
        'BAD_INPUT',
        `${where}: not a readable RPM SQLite database (${(err as Error).message})`,
      );
    } finally {
      db?.close();
    }
    return rows.map((row, i) => {
      const { hnum, blob } = row as { hnum: unknown; blob: unknown };
      if (typeof hnum !== 'number' || !Buffer.isBuffer(blob)) {
        throw new SigilError('BAD_INPUT', `${where}: Packages row ${i + 1} is not an (integer, blob) pair`);
      }
      return { hnum, blob };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function text(tags: Map<number, RpmTagValue>, tag: number): string | undefined {
  const value = tags.get(tag);
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Syft's rpm purl: namespace from the distro (rhel → redhat), epoch as a qualifier, the source rpm as "upstream". */
function rpmNamespace(distro: Distro | undefined): string {
  if (!distro) return '';
  if (distro.id === 'rhel') return 'redhat/';
  if (distro.id.startsWith('opensuse')) return 'opensuse/';
  return `${enc(distro.id)}/`;
}

function rpmPackage(
  tags: Map<number, RpmTagValue>,
  where: string,
  foundIn: string,
  distro: Distro | undefined,
): SbomPackage {
  const name = text(tags, RPMTAG.NAME);
  const version = text(tags, RPMTAG.VERSION);
  const release = text(tags, RPMTAG.RELEASE);
  if (!name || !version || !release) {
    throw new SigilError('BAD_INPUT', `${where}: RPM header lacks NAME, VERSION or RELEASE`);
  }
  const epochTag = tags.get(RPMTAG.EPOCH);
  const epoch = typeof epochTag === 'number' ? epochTag : undefined;
  const arch = text(tags, RPMTAG.ARCH);
  const sourceRpm = text(tags, RPMTAG.SOURCERPM);
  // Qualifiers in purl's canonical (sorted) order: arch, distro, epoch, upstream.
  const qualifiers = [
    arch ? `&arch=${enc(arch)}` : '',
    distroQualifier(distro),
    epoch === undefined ? '' : `&epoch=${epoch}`,
    sourceRpm ? `&upstream=${enc(sourceRpm)}` : '',
  ]
    .join('')
    .replace(/^&/, '?');
  const evr = `${epoch === undefined ? '' : `${epoch}:`}${version}-${release}`;
  return {
    name,
    version: evr,
    type: 'rpm',
    arch,
    license: text(tags, RPMTAG.LICENSE),
    vendor: text(tags, RPMTAG.VENDOR),
    purl: `pkg:rpm/${rpmNamespace(distro)}${enc(name)}@${enc(`${version}-${release}`)}${qualifiers}`,
    foundIn,
  };
}

export interface RpmCatalog {
  packages: SbomPackage[];
  /** Databases present but not read, so a consumer knows the SBOM is incomplete. */
  warnings: string[];
}

/** Header blobs of a database in either readable format; record 0 of a Berkeley DB is rpm's counter, not a package. */
function headerRows(view: FileView, path: string, database: Buffer, where: string): HeaderRow[] {
  if (SQLITE_DATABASES.includes(path))
    return readHeaderRows(database, view.get(`${path}${WAL_SUFFIX}`), where);
  return readBerkeleyDbHash(database, where)
    .filter(({ key }) => key !== 0)
    .map(({ key, value }) => ({ hnum: key, blob: value }));
}

export function catalogRpm(view: FileView, distro: Distro | undefined): RpmCatalog {
  const packages = new Map<string, SbomPackage>();
  for (const path of [...SQLITE_DATABASES, ...BERKELEY_DATABASES]) {
    const database = view.get(path);
    if (!database) continue;
    const foundIn = `/${path}`;
    for (const { hnum, blob } of headerRows(view, path, database, foundIn)) {
      const where = `${foundIn}: package hnum ${hnum}`;
      const pkg = rpmPackage(parseRpmHeader(blob, where), where, foundIn, distro);
      // Imported signing keys show up as "gpg-pubkey" packages; they are not installed software.
      if (pkg.name === 'gpg-pubkey') continue;
      // /var/lib/rpm may hold a copy of /usr/lib/sysimage/rpm: the first database wins.
      if (!packages.has(pkg.purl)) packages.set(pkg.purl, pkg);
    }
  }
  const warnings = NDB_DATABASES.filter((path) => view.has(path)).map(
    (path) =>
      `/${path}: RPM NDB package database not cataloged (sigil reads the SQLite and Berkeley DB formats); its packages are missing from this SBOM`,
  );
  return { packages: [...packages.values()], warnings };
}
