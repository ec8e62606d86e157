/** Package catalogers: each reads its database files from the file view and returns packages with purls. */
import { SigilError } from '../core/index.js';
import type { ContentCollector, Distro, FileView, SbomPackage } from './model.js';
import { distroQualifier, enc } from './purl.js';
import { catalogRpm, isRpmDatabase, isUnreadRpmDatabase } from './rpm.js';

/** Go's build info blob starts with this magic (see Go's debug/buildinfo). */
const GO_BUILDINFO_MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');
/** Module info fits easily in this; only this window of a Go binary is kept. */
const GO_BUILDINFO_WINDOW = 256 * 1024;
/** Bytes carried from one piece to the next: one short of a whole magic. */
const GO_MAGIC_CARRY = GO_BUILDINFO_MAGIC.length - 1;

/**
 * What of a file the catalogers need: database files whole, Go binaries only from their build info blob
 * on, anything else nothing, so memory stays bounded by catalog sizes rather than image size.
 */
export function catalogCollector(path: string): ContentCollector {
  if (isCatalogFile(path)) return wholeFile();
  if (isUnreadRpmDatabase(path)) return { write: () => {}, result: () => Buffer.alloc(0) };
  return goBuildInfoWindow();
}

/** The collector's answer for a file already in memory (sbom --dir). */
export function catalogContent(path: string, content: Buffer): Buffer | undefined {
  const collector = catalogCollector(path);
  collector.write(content);
  return collector.result();
}

function wholeFile(): ContentCollector {
  const pieces: Buffer[] = [];
  return { write: (piece) => pieces.push(Buffer.from(piece)), result: () => Buffer.concat(pieces) };
}

/**
 * Any file may be a Go binary (ELF, Mach-O, PE, stripped or not), so every file is scanned for the build
 * info magic as it streams past, without buffering it; only the window from the magic on is kept. The
 * last bytes of each piece are carried over so a magic split across two pieces is still found.
 */
function goBuildInfoWindow(): ContentCollector {
  let carry = Buffer.alloc(0);
  let window: Buffer[] | undefined;
  let kept = 0;
  const keep = (piece: Buffer): void => {
    const part = piece.subarray(0, GO_BUILDINFO_WINDOW - kept);
    if (part.length === 0) return;
    window?.push(Buffer.from(part));
    kept += part.length;
  };
  return {
    write(piece) {
      if (window) return keep(piece);
      // A magic straddling the previous piece and this one, then one inside this piece.
      const head = piece.subarray(0, GO_MAGIC_CARRY);
      const boundary = Buffer.concat([carry, head]);
      const across = boundary.indexOf(GO_BUILDINFO_MAGIC);
      const inside = across === -1 ? piece.indexOf(GO_BUILDINFO_MAGIC) : -1;
      if (across !== -1 || inside !== -1) {
        window = [];
        if (across !== -1) keep(boundary.subarray(across));
        return keep(across !== -1 ? piece.subarray(head.length) : piece.subarray(inside));
      }
      const tail =
        piece.length >= GO_MAGIC_CARRY ? piece.subarray(-GO_MAGIC_CARRY) : boundary.subarray(-GO_MAGIC_CARRY);
      carry = Buffer.from(tail);
    },
    result: () => (window ? Buffer.concat(window) : undefined),
  };
}

function isCatalogFile(path: string): boolean {
  return (
    path === 'etc/os-release' ||
    path === 'usr/lib/os-release' ||
    path === 'var/lib/dpkg/status' ||
    path.startsWith('var/lib/dpkg/status.d/') ||
    path === 'lib/apk/db/installed' ||
    isRpmDatabase(path) ||
    path.endsWith('/package-lock.json') ||
    path === 'package-lock.json' ||
    /(^|\/)node_modules\/(@[^/]+\/)?[^/]+\/package\.json$/.test(path) ||
    /\.dist-info\/METADATA$/.test(path) ||
    /\.egg-info\/PKG-INFO$/.test(path)
  );
}

export function detectDistro(view: FileView): Distro | undefined {
  const text = (view.get('etc/os-release') ?? view.get('usr/lib/os-release'))?.toString('utf8');
  if (!text) return undefined;
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (match?.[1] && match[2] !== undefined) fields.set(match[1], match[2].replace(/^["']|["']$/g, ''));
  }
  const id = fields.get('ID');
  return id ? { id, versionId: fields.get('VERSION_ID') ?? '' } : undefined;
}

/** RFC-822 style stanzas separated by blank lines, with continuation lines (dpkg status, METADATA). */
function stanzas(text: string, where: string): Map<string, string>[] {
  const result: Map<string, string>[] = [];
  for (const block of text.split(/\n\s*\n/)) {
    if (block.trim() === '') continue;
    const fields = new Map<string, string>();
    let last: string | undefined;
    for (const line of block.split('\n')) {
      if (line.trim() === '') continue;
      if (/^[ \t]/.test(line) && last) {
        fields.set(last, `${fields.get(last) ?? ''}\n${line.trim()}`);
        continue;
      }
      const colon = line.indexOf(':');
      if (colon <= 0) throw new SigilError('BAD_INPUT', `${where}: malformed line "${line.slice(0, 60)}"`);
      last = line.slice(0, colon);
      fields.set(last, line.slice(colon + 1).trim());
    }
    result.push(fields);
  }
  return result;
}

export function catalogDpkg(view: FileView, distro: Distro | undefined): SbomPackage[] {
  const files = [...view.keys()].filter(
    (p) => p === 'var/lib/dpkg/status' || p.startsWith('var/lib/dpkg/status.d/'),
  );
  const packages: SbomPackage[] = [];
  const namespace = distro?.id ?? 'debian';
  for (const file of files.sort()) {
    for (const fields of stanzas(view.get(file)?.toString('utf8') ?? '', `/${file}`)) {
      const name = fields.get('Package');
      const version = fields.get('Version');
      if (!name || !version)
        throw new SigilError('BAD_INPUT', `/${file}: a package stanza lacks Package or Version`);
      // Only installed packages belong in an SBOM ("deinstall ok config-files" leaves just conffiles).
      const status = fields.get('Status');
      if (status && !status.endsWith(' installed')) continue;
      const arch = fields.get('Architecture') ?? '';
      packages.push({
        name,
        version,
        type: 'deb',
        arch,
        purl: `pkg:deb/${namespace}/${enc(name)}@${enc(version)}?arch=${enc(arch)}${distroQualifier(distro)}`,
        foundIn: `/${file}`,
      });
    }
  }
  return packages;
}

export function catalogApk(view: FileView, distro: Distro | undefined): SbomPackage[] {
  const file = 'lib/apk/db/installed';
  const data = view.get(file);
  if (!data) return [];
  const packages: SbomPackage[] = [];
  for (const block of data.toString('utf8').split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    for (const line of block.split('\n')) {
      if (line === '') continue;
      if (line[1] !== ':')
        throw new SigilError('BAD_INPUT', `/${file}: malformed line "${line.slice(0, 60)}"`);
      if (!fields.has(line[0] ?? '')) fields.set(line[0] ?? '', line.slice(2));
    }
    const name = fields.get('P');
    const version = fields.get('V');
    if (!name && !version) continue;
    if (!name || !version) throw new SigilError('BAD_INPUT', `/${file}: a package lacks P: or V:`);
    const arch = fields.get('A') ?? '';
    packages.push({
      name,
      version,
      type: 'apk',
      arch,
      license: fields.get('L'),
      purl: `pkg:apk/${distro?.id ?? 'alpine'}/${enc(name)}@${enc(version)}?arch=${enc(arch)}${distroQualifier(distro)}`,
      foundIn: `/${file}`,
    });
  }
  return packages;
}

function npmPurl(name: string, version: string): string {
  const [scope, bare] = name.startsWith('@') ? name.split('/') : [undefined, name];
  return `pkg:npm/${scope ? `${enc(scope)}/` : ''}${enc(bare ?? name)}@${enc(version)}`;
}

function parseJsonFile(data: Buffer, where: string): unknown {
  try {
    return JSON.parse(data.toString('utf8'));
  } catch (err) {
    throw new SigilError('BAD_JSON', `${where}: not valid JSON (${(err as Error).message})`);
  }
}

export function catalogNpm(view: FileView): SbomPackage[] {
  const packages = new Map<string, SbomPackage>();
  for (const [path, data] of view) {
    if (path.endsWith('package-lock.json')) {
      const lock = parseJsonFile(data, `/${path}`) as {
        packages?: Record<string, { version?: string; license?: string }>;
      };
      for (const [key, entry] of Object.entries(lock.packages ?? {})) {
        const at = key.lastIndexOf('node_modules/');
        if (at === -1 || !entry.version) continue;
        const name = key.slice(at + 'node_modules/'.length);
        const pkg: SbomPackage = {
          name,
          version: entry.version,
          type: 'npm',
          license: entry.license,
          purl: npmPurl(name, entry.version),
          foundIn: `/${path}`,
        };
        packages.set(pkg.purl, pkg);
      }
    } else if (path.endsWith('/package.json')) {
      const manifest = parseJsonFile(data, `/${path}`) as {
        name?: unknown;
        version?: unknown;
        license?: unknown;
      };
      if (typeof manifest.name !== 'string' || typeof manifest.version !== 'string') continue;
      const license = typeof manifest.license === 'string' ? manifest.license : undefined;
      const purl = npmPurl(manifest.name, manifest.version);
      if (!packages.has(purl))
        packages.set(purl, {
          name: manifest.name,
          version: manifest.version,
          type: 'npm',
          license,
          purl,
          foundIn: `/${path}`,
        });
    }
  }
  return [...packages.values()];
}

export function catalogPython(view: FileView): SbomPackage[] {
  const packages: SbomPackage[] = [];
  for (const [path, data] of view) {
    if (!/\.(dist-info\/METADATA|egg-info\/PKG-INFO)$/.test(path)) continue;
    // Only the header part (before the first blank line) holds fields; the rest is the description.
    const header = data.toString('utf8').split(/\r?\n\r?\n/)[0] ?? '';
    const fields = stanzas(header, `/${path}`)[0];
    const name = fields?.get('Name');
    const version = fields?.get('Version');
    if (!name || !version) throw new SigilError('BAD_INPUT', `/${path}: lacks Name or Version`);
    const normalised = name.toLowerCase().replace(/[-_.]+/g, '-');
    packages.push({
      name,
      version,
      type: 'pypi',
      license: fields?.get('License'),
      purl: `pkg:pypi/${enc(normalised)}@${enc(version)}`,
      foundIn: `/${path}`,
    });
  }
  return packages;
}

/** Reads an unsigned LEB128 varint; returns [value, next offset]. */
function uvarint(data: Buffer, offset: number): [number, number] {
  let value = 0;
  let shift = 0;
  for (let i = offset; i < data.length && shift < 35; i++) {
    const byte = data[i] ?? 0;
    value += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return [value, i + 1];
    shift += 7;
  }
  return [-1, data.length];
}

/** Go 1.18+ inline build info: 32-byte header (flags bit 2 set), then varint-prefixed version and modinfo. */
function goModuleInfo(blob: Buffer): string | undefined {
  if ((blob[15] ?? 0) & 0x2) {
    let [length, offset] = uvarint(blob, 32);
    offset += length;
    [length, offset] = uvarint(blob, offset);
    if (length < 32 || offset + length > blob.length) return undefined;
    // modinfo is wrapped in 16-byte sentinels on both sides.
    return blob.subarray(offset + 16, offset + length - 16).toString('utf8');
  }
  return undefined; // pre-1.18 pointer-based build info needs the binary's data sections
}

export function catalogGo(view: FileView): SbomPackage[] {
  const packages: SbomPackage[] = [];
  for (const [path, data] of view) {
    if (!data.subarray(0, GO_BUILDINFO_MAGIC.length).equals(GO_BUILDINFO_MAGIC)) continue;
    for (const line of goModuleInfo(data)?.split('\n') ?? []) {
      const [kind, module, version] = line.split('\t');
      if ((kind !== 'mod' && kind !== 'dep') || !module || !version || version === '(devel)') continue;
      packages.push({
        name: module,
        version,
        type: 'golang',
        purl: `pkg:golang/${module.split('/').map(enc).join('/')}@${enc(version)}`,
        foundIn: `/${path}`,
      });
    }
  }
  return packages;
}

export interface Catalog {
  distro: Distro | undefined;
  packages: SbomPackage[];
  /** Package data found but not cataloged; the SBOM misses those packages. */
  warnings: string[];
}

export function catalogAll(view: FileView): Catalog {
  const distro = detectDistro(view);
  const rpm = catalogRpm(view, distro);
  const packages = [
    ...catalogDpkg(view, distro),
    ...catalogApk(view, distro),
    ...rpm.packages,
    ...catalogNpm(view),
    ...catalogPython(view),
    ...catalogGo(view),
  ];
  packages.sort((a, b) => (a.purl < b.purl ? -1 : a.purl > b.purl ? 1 : 0));
  return { distro, packages, warnings: rpm.warnings };
}
