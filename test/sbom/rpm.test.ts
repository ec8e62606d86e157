/**
 * The RPM cataloger against databases that rpm itself wrote: packages built by rpmbuild, recorded with
 * `rpm -i --justdb`, cross-checked against `rpm -qa`; then corrupted databases and header blobs.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { isSigilError } from '../../src/core/index.js';
import { parseReference, RegistryClient, type RunningRegistry, startRegistry } from '../../src/oci/index.js';
import { catalogAll } from '../../src/sbom/catalogers.js';
import { generateSbomForDirectory } from '../../src/sbom/index.js';
import { catalogRpm } from '../../src/sbom/rpm.js';
import { readBerkeleyDbHash } from '../../src/sbom/rpm-bdb.js';
import { parseRpmHeader, RPMTAG } from '../../src/sbom/rpm-header.js';
import { errorLine, sigil } from '../helpers/cli.js';
import { pushDirectoryImage } from '../helpers/debian-rootfs.js';
import { peerMissing } from '../helpers/peers.js';
import {
  berkeleyDbFrom,
  buildRpm,
  dbLoadCommand,
  type RpmSpec,
  rpmQueryAll,
  rpmRootfs,
  rpmToolsPresent,
} from '../helpers/rpm-rootfs.js';

const skip = peerMissing('rpm and rpmbuild (Debian package "rpm")', rpmToolsPresent());
const skipBerkeley =
  skip || peerMissing('db_load (Debian package "db5.3-util")', dbLoadCommand() !== undefined);

const SPECS: RpmSpec[] = [
  {
    name: 'sigil-alpha',
    version: '1.2.3',
    release: '4.fc40',
    epoch: 2,
    license: 'MIT AND (Apache-2.0 OR BSD-3-Clause)',
    vendor: 'Sigil Test Vendor',
  },
  { name: 'sigil-beta', version: '0.9~rc1', release: '1.fc40', license: 'GPL-2.0-or-later' },
  { name: 'sigil-gamma', version: '10.0', release: '0.1.fc40', epoch: 0, license: 'BSD-3-Clause' },
];
const DB = 'var/lib/rpm/rpmdb.sqlite';

let work: string;
let rpms: string[];
/** A Fedora-like rootfs with the database at /var/lib/rpm. */
let fedoraRoot: string;
let fedoraDb: string;

before(async () => {
  if (skip) return;
  work = await mkdtemp(join(tmpdir(), 'sigil-rpm-'));
  rpms = SPECS.map((spec) => buildRpm(work, spec));
  fedoraRoot = join(work, 'fedora');
  fedoraDb = rpmRootfs(fedoraRoot, rpms, {
    dbDir: 'var/lib/rpm',
    osRelease: { id: 'fedora', versionId: '40' },
  });
});
after(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/** The view the catalogers get for a database: its bytes at `path`, plus os-release when given. */
function viewOf(database: Buffer, osRelease?: string, path = DB): Map<string, Buffer> {
  const view = new Map([[path, database]]);
  if (osRelease) view.set('etc/os-release', Buffer.from(osRelease));
  return view;
}

/** A copy of the Fedora database with `sql` applied (by SQLite, so the file stays a valid database). */
function alteredDatabase(sql: string, ...params: unknown[]): Buffer {
  const dir = join(work, `altered-${Math.random().toString(36).slice(2)}`);
  mkdirSync(dir);
  const file = join(dir, 'rpmdb.sqlite');
  copyFileSync(join(fedoraDb, 'rpmdb.sqlite'), file);
  const db = new Database(file);
  // rpm's index tables reference Packages; these edits break the database on purpose.
  db.pragma('foreign_keys = OFF');
  db.prepare(sql).run(...params);
  db.close(); // checkpoints the WAL into the file
  return readFileSync(file);
}

function firstBlob(): Buffer {
  const db = new Database(join(fedoraDb, 'rpmdb.sqlite'), { readonly: true });
  const row = db.prepare('SELECT blob FROM Packages ORDER BY hnum LIMIT 1').get() as { blob: Buffer };
  db.close();
  return row.blob;
}

function rejectsWith(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err) => {
    assert.ok(isSigilError(err), `expected a SigilError, got ${String(err)}`);
    assert.equal((err as { code: string }).code, 'BAD_INPUT');
    assert.match((err as Error).message, pattern);
    return true;
  });
}

describe('rpm cataloger on a database written by rpm', { skip }, () => {
  it('finds the same packages, epochs, versions, releases, arches and licenses as rpm -qa', () => {
    const { packages, warnings } = catalogAll(viewOf(readFileSync(join(fedoraDb, 'rpmdb.sqlite'))));
    assert.deepEqual(warnings, []);
    const ours = packages.map((p) => `${p.name} ${p.version} ${p.arch} ${p.license}`);
    // rpm prints "(none)" for a missing epoch; the SBOM version is [epoch:]version-release, as Syft writes it.
    const expected = rpmQueryAll(fedoraDb).map((line) => {
      const [name, epoch, version, release, arch, ...license] = line.split(' ');
      const evr = `${epoch === '(none)' ? '' : `${epoch}:`}${version}-${release}`;
      return `${name} ${evr} ${arch} ${license.join(' ')}`;
    });
    assert.equal(expected.length, SPECS.length);
    assert.deepEqual([...ours].sort(), [...expected].sort());
  });

  it('writes Syft-style purls: distro namespace, arch, distro, epoch and upstream qualifiers', () => {
    const osRelease = readFileSync(join(fedoraRoot, 'etc/os-release'), 'utf8');
    const { packages } = catalogAll(viewOf(readFileSync(join(fedoraDb, 'rpmdb.sqlite')), osRelease));
    const byName = new Map(packages.map((p) => [p.name, p]));
    const alpha = byName.get('sigil-alpha');
    assert.equal(
      alpha?.purl,
      'pkg:rpm/fedora/sigil-alpha@1.2.3-4.fc40?arch=noarch&distro=fedora-40&epoch=2&upstream=sigil-alpha-1.2.3-4.fc40.src.rpm',
    );
    assert.equal(alpha?.type, 'rpm');
    assert.equal(alpha?.vendor, 'Sigil Test Vendor');
    assert.equal(alpha?.foundIn, `/${DB}`);
    assert.equal(
      byName.get('sigil-beta')?.purl,
      'pkg:rpm/fedora/sigil-beta@0.9~rc1-1.fc40?arch=noarch&distro=fedora-40&upstream=sigil-beta-0.9~rc1-1.fc40.src.rpm',
    );
    // An explicit epoch 0 is kept, unlike a missing one.
    assert.match(byName.get('sigil-gamma')?.purl ?? '', /&epoch=0&/);
  });

  it('names RHEL packages "redhat" and leaves the namespace out without an os-release', () => {
    const view = viewOf(readFileSync(join(fedoraDb, 'rpmdb.sqlite')));
    const rhel = catalogRpm(view, { id: 'rhel', versionId: '9.4' }).packages;
    assert.ok(rhel.every((p) => p.purl.startsWith('pkg:rpm/redhat/') && p.purl.includes('distro=rhel-9.4')));
    const bare = catalogRpm(view, undefined).packages.find((p) => p.name === 'sigil-alpha');
    assert.equal(
      bare?.purl,
      'pkg:rpm/sigil-alpha@1.2.3-4.fc40?arch=noarch&epoch=2&upstream=sigil-alpha-1.2.3-4.fc40.src.rpm',
    );
  });

  it('catalogs /usr/lib/sysimage/rpm (openSUSE, newer Fedora) through sbom --dir, with the vendor as supplier', async () => {
    const root = join(work, 'suse');
    rpmRootfs(root, rpms, {
      dbDir: 'usr/lib/sysimage/rpm',
      osRelease: { id: 'opensuse-tumbleweed', versionId: '20240101' },
    });
    const spdx = generateSbomForDirectory(root, 'spdx-json');
    assert.equal(spdx.packages.length, SPECS.length);
    const doc = JSON.parse(spdx.document) as {
      packages: { name: string; supplier?: string; externalRefs?: { referenceLocator: string }[] }[];
    };
    const alpha = doc.packages.find((p) => p.name === 'sigil-alpha');
    assert.equal(alpha?.supplier, 'Organization: Sigil Test Vendor');
    assert.match(
      alpha?.externalRefs?.[0]?.referenceLocator ?? '',
      /^pkg:rpm\/opensuse\/sigil-alpha@1\.2\.3-4\.fc40\?arch=noarch&distro=opensuse-tumbleweed-20240101&epoch=2&/,
    );
    const cdx = JSON.parse(generateSbomForDirectory(root, 'cyclonedx-json').document) as {
      components: { name: string; publisher?: string; licenses?: { expression: string }[] }[];
    };
    const component = cdx.components.find((c) => c.name === 'sigil-alpha');
    assert.equal(component?.publisher, 'Sigil Test Vendor');
    assert.deepEqual(component?.licenses, [{ expression: 'MIT AND (Apache-2.0 OR BSD-3-Clause)' }]);
  });

  it('catalogs an image pushed to a registry (sigil sbom IMAGE)', async () => {
    const registry: RunningRegistry = await startRegistry({
      host: '127.0.0.1',
      port: 0,
      dataDir: join(work, 'registry'),
    });
    try {
      const image = `${registry.address}/fedora/rpm-test:40`;
      await pushDirectoryImage(new RegistryClient(), parseReference(image), fedoraRoot);
      // Through the CLI: its connections end with its process, so closing the registry waits for none.
      const result = await sigil(['sbom', image, '-o', 'spdx-json']);
      assert.equal(result.code, 0, result.stderr);
      const purls = (
        JSON.parse(result.stdout) as { packages: { externalRefs?: { referenceLocator: string }[] }[] }
      ).packages.flatMap((p) => p.externalRefs?.map((ref) => ref.referenceLocator) ?? []);
      assert.equal(purls.length, SPECS.length);
      assert.ok(
        purls.every((purl) => purl.startsWith('pkg:rpm/fedora/') && purl.includes('distro=fedora-40')),
      );
    } finally {
      await registry.close();
    }
  });

  it('removes its temporary copy of the database, after success and after failure', () => {
    const privateTmp = join(work, 'tmp');
    mkdirSync(privateTmp);
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = privateTmp;
    try {
      catalogRpm(viewOf(readFileSync(join(fedoraDb, 'rpmdb.sqlite'))), undefined);
      assert.throws(() => catalogRpm(viewOf(Buffer.from('not sqlite')), undefined));
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
    assert.deepEqual(readdirSync(privateTmp), []);
  });
});

describe('rpm cataloger on bad input', { skip }, () => {
  it('rejects a database file that is not SQLite, naming the file', () => {
    rejectsWith(
      () => catalogRpm(viewOf(Buffer.from('Berkeley or garbage, but not SQLite\n'.repeat(200))), undefined),
      /^\/var\/lib\/rpm\/rpmdb\.sqlite: not a readable RPM SQLite database/,
    );
  });

  it('rejects a SQLite database without a Packages table', () => {
    rejectsWith(
      () => catalogRpm(viewOf(alteredDatabase('DROP TABLE Packages')), undefined),
      /rpmdb\.sqlite: not a readable RPM SQLite database \(no such table: Packages\)/,
    );
  });

  it('rejects a truncated header blob, naming the database and entry', () => {
    const database = alteredDatabase('UPDATE Packages SET blob = substr(blob, 1, 100) WHERE hnum = 2');
    rejectsWith(
      () => catalogRpm(viewOf(database), undefined),
      /^\/var\/lib\/rpm\/rpmdb\.sqlite: package hnum 2: malformed RPM header \(100 bytes, but \d+ entries/,
    );
  });

  it('rejects a garbage header blob and a non-blob row', () => {
    rejectsWith(
      () =>
        catalogRpm(
          viewOf(alteredDatabase('UPDATE Packages SET blob = ? WHERE hnum = 1', Buffer.alloc(64, 0xff))),
          undefined,
        ),
      /package hnum 1: malformed RPM header \(index entry count -1 out of range\)/,
    );
    rejectsWith(
      () =>
        catalogRpm(viewOf(alteredDatabase("UPDATE Packages SET blob = 'text' WHERE hnum = 3")), undefined),
      /Packages row 3 is not an \(integer, blob\) pair/,
    );
  });

  it('rejects offsets outside the data store, strings without NUL and a header without NAME', () => {
    const blob = firstBlob();
    const entries = blob.readInt32BE(0);
    const dataLength = blob.readInt32BE(4);
    const entryOf = (tag: number): number => {
      for (let i = 0; i < entries; i++) if (blob.readInt32BE(8 + 16 * i) === tag) return 8 + 16 * i;
      throw new Error(`tag ${tag} not in the test header`);
    };
    const name = entryOf(RPMTAG.NAME);

    const outside = Buffer.from(blob);
    outside.writeInt32BE(dataLength + 5, name + 8);
    rejectsWith(
      () => parseRpmHeader(outside, 'db: hnum 1'),
      /^db: hnum 1: malformed RPM header \(tag 1000 points at offset/,
    );

    const unterminated = Buffer.from(blob);
    unterminated.writeInt32BE(dataLength - 1, name + 8);
    unterminated[unterminated.length - 1] = 0x41;
    rejectsWith(
      () => parseRpmHeader(unterminated, 'db'),
      /tag 1000: string at offset \d+ has no terminating NUL/,
    );

    const epoch = Buffer.from(blob);
    epoch.writeInt32BE(dataLength - 2, entryOf(RPMTAG.EPOCH) + 8);
    rejectsWith(() => parseRpmHeader(epoch, 'db'), /tag 1003: 1 int32 values overrun the data store/);

    const nameless = Buffer.from(blob);
    nameless.writeInt32BE(9999, name);
    const database = alteredDatabase('UPDATE Packages SET blob = ? WHERE hnum = 1', nameless);
    rejectsWith(
      () => catalogRpm(viewOf(database), undefined),
      /package hnum 1: RPM header lacks NAME, VERSION or RELEASE/,
    );
  });

  it('answers every corrupted index with a result or a SigilError, never a crash', () => {
    const blob = firstBlob();
    // A fixed linear congruential sequence: the same corruptions on every run.
    let seed = 12345;
    const next = (bound: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % bound;
    };
    const indexEnd = 8 + 16 * blob.readInt32BE(0);
    for (let round = 0; round < 500; round++) {
      const bad = Buffer.from(blob);
      for (let flips = 1 + next(4); flips > 0; flips--) bad[next(indexEnd)] = next(256);
      try {
        parseRpmHeader(bad, 'fuzz');
      } catch (err) {
        assert.ok(isSigilError(err), `round ${round}: ${String(err)}`);
      }
    }
  });
});

const BDB = 'var/lib/rpm/Packages';

/** rpm's line for a package, in the form the SBOM gives it: "name [epoch:]version-release arch license". */
function rpmLines(lines: string[]): string[] {
  return lines
    .map((line) => {
      const [name, epoch, version, release, arch, ...license] = line.split(' ');
      return `${name} ${epoch === '(none)' ? '' : `${epoch}:`}${version}-${release} ${arch} ${license.join(' ')}`;
    })
    .sort();
}

describe('rpm cataloger on a Berkeley DB (RHEL 8 and older)', { skip: skipBerkeley }, () => {
  for (const pageSize of [4096, 512]) {
    it(`lists what rpm's bdb_ro backend lists, with ${pageSize}-byte pages`, () => {
      const dir = join(work, `bdb-${pageSize}`);
      const file = berkeleyDbFrom(fedoraDb, dir, pageSize);
      const view = viewOf(readFileSync(file), 'ID="rhel"\nVERSION_ID="8.10"\n', BDB);
      const { packages, warnings } = catalogAll(view);
      assert.deepEqual(warnings, []);
      const ours = packages.map((p) => `${p.name} ${p.version} ${p.arch} ${p.license}`).sort();
      assert.deepEqual(ours, rpmLines(rpmQueryAll(dir, 'bdb_ro')));
      assert.equal(ours.length, SPECS.length);
      assert.ok(
        packages.every((p) => p.purl.startsWith('pkg:rpm/redhat/') && p.purl.includes('distro=rhel-8.10')),
      );
      assert.ok(packages.every((p) => p.foundIn === `/${BDB}`));
    });
  }

  it('rejects a file that is not a hash database, a truncated one and a broken overflow chain', () => {
    const good = readFileSync(berkeleyDbFrom(fedoraDb, join(work, 'bdb-bad'), 512));
    rejectsWith(
      () => catalogRpm(viewOf(Buffer.alloc(4096), undefined, BDB), undefined),
      /^\/var\/lib\/rpm\/Packages: malformed Berkeley DB \(no hash database magic number\)/,
    );
    rejectsWith(
      () => catalogRpm(viewOf(good.subarray(0, good.length - 512), undefined, BDB), undefined),
      /malformed Berkeley DB \(last page \d+ lies beyond the \d+-byte file \(truncated\?\)\)/,
    );
    const broken = Buffer.from(good);
    const firstOverflow =
      [...Array(broken.length / 512).keys()].find((page) => broken[page * 512 + 25] === 7) ?? 0;
    broken[firstOverflow * 512 + 25] = 0;
    rejectsWith(
      () => readBerkeleyDbHash(broken, 'db'),
      /page \d+ item \d+: page \d+ is not an overflow page/,
    );
  });

  it('answers every corrupted database with records or a SigilError, never a crash', () => {
    const good = readFileSync(berkeleyDbFrom(fedoraDb, join(work, 'bdb-fuzz'), 512));
    let seed = 54321;
    const next = (bound: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % bound;
    };
    for (let round = 0; round < 500; round++) {
      const bad = Buffer.from(good);
      for (let flips = 1 + next(4); flips > 0; flips--) bad[next(bad.length)] = next(256);
      try {
        catalogRpm(viewOf(bad, undefined, BDB), undefined);
      } catch (err) {
        assert.ok(isSigilError(err), `round ${round}: ${String(err)}`);
      }
    }
  });
});

describe('sigil sbom --dir with rpm databases', { skip }, () => {
  it('lists the rpm packages and warns, without failing, about an NDB database it cannot read', async () => {
    const root = join(work, 'suse-ndb');
    // SUSE keeps an NDB database at /var/lib/rpm/Packages.db; only its presence matters here.
    mkdirSync(join(root, 'var/lib/rpm'), { recursive: true });
    writeFileSync(join(root, 'var/lib/rpm/Packages.db'), Buffer.alloc(4096));
    mkdirSync(join(root, 'usr/lib/sysimage/rpm'), { recursive: true });
    copyFileSync(join(fedoraDb, 'rpmdb.sqlite'), join(root, 'usr/lib/sysimage/rpm/rpmdb.sqlite'));
    const result = await sigil(['sbom', '--dir', root, '-o', 'cyclonedx-json']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stderr,
      /WARNING: \/var\/lib\/rpm\/Packages\.db: RPM NDB package database not cataloged/,
    );
    const doc = JSON.parse(result.stdout) as { components: { name: string }[] };
    assert.deepEqual(doc.components.map((c) => c.name).sort(), SPECS.map((s) => s.name).sort());
  });

  it('fails with one error line on a corrupt database and writes no SBOM file', async () => {
    const root = join(work, 'corrupt');
    mkdirSync(join(root, 'var/lib/rpm'), { recursive: true });
    writeFileSync(join(root, DB), 'not a database');
    const out = join(work, 'corrupt.spdx.json');
    const result = await sigil(['sbom', '--dir', root, '--output-file', out]);
    assert.notEqual(result.code, 0);
    assert.match(errorLine(result), /\/var\/lib\/rpm\/rpmdb\.sqlite: not a readable RPM SQLite database/);
    assert.deepEqual(readdirSync(work).includes('corrupt.spdx.json'), false);
  });
});
