/**
 * The client side: `initialize` trusts a root.json for a mirror (HTTP, or file: for an air-gapped copy), and every later use updates the metadata
 * from the mirror as the TUF client workflow prescribes (tuf-js, the client @sigstore/tuf is built on: root
 * rotation, rollback and freeze-attack checks, hashes and lengths), then returns the verified
 * `trusted_root.json` and `signing_config.v0.2.json` targets.
 *
 * sigil keeps its own cache (default ~/.sigil/tuf, or $SIGIL_TUF_ROOT), not cosign's ~/.sigstore/root:
 * go-tuf lays its cache out differently (one folder per mirror, its own last-update file) and
 * `cosign initialize` empties its folder, so sharing one would let either tool clobber the other's
 * rollback-protection state. Both can follow the same mirror side by side.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Fetcher } from 'tuf-js';
import { isRecord, parseJson, SigilError, writeFileAtomic } from '../core/index.js';

export const TRUSTED_ROOT_TARGET = 'trusted_root.json';
export const SIGNING_CONFIG_TARGET = 'signing_config.v0.2.json';

export interface TufTrust {
  mirror: string;
  trustedRoot: Buffer;
  /** Absent when the repository publishes no signing config (a verify-only deployment). */
  signingConfig?: Buffer;
}

export function defaultTufCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.SIGIL_TUF_ROOT || join(homedir(), '.sigil', 'tuf');
}

/** Whether `initialize` has run for this cache (it names the mirror in remote.json, as cosign's does). */
export function isTufInitialized(cacheDir: string): boolean {
  return existsSync(join(cacheDir, 'remote.json'));
}

/**
 * Starts trusting `root` (root.json bytes obtained out of band) for `mirror`: the cache is emptied, the
 * root stored, and a first update run, so that a wrong root or an unreachable mirror fails here.
 */
export async function initializeTuf(cacheDir: string, mirror: string, root: Uint8Array): Promise<TufTrust> {
  const json = parseJson(root, 'the initial root');
  if (!isRecord(json) || !isRecord(json.signed) || json.signed._type !== 'root') {
    throw new SigilError(
      'BAD_INPUT',
      'the initial root is not TUF root metadata (signed._type is not "root")',
    );
  }
  const base = normalizeMirror(mirror);
  // Only what this cache holds: $SIGIL_TUF_ROOT may name a folder with other files in it.
  for (const entry of ['remote.json', 'metadata', 'targets']) {
    rmSync(join(cacheDir, entry), { recursive: true, force: true });
  }
  mkdirSync(join(cacheDir, 'metadata'), { recursive: true, mode: 0o700 });
  mkdirSync(join(cacheDir, 'targets'), { recursive: true });
  await writeFileAtomic(join(cacheDir, 'metadata', 'root.json'), root);
  await writeFileAtomic(join(cacheDir, 'remote.json'), `${JSON.stringify({ mirror: base })}\n`);
  return updateTuf(cacheDir);
}

/** Updates the cached metadata from the mirror and returns the verified trust targets. */
export async function updateTuf(cacheDir: string): Promise<TufTrust> {
  const mirror = readMirror(cacheDir);
  // Loaded on use: a command run without TUF never pays for the client.
  const { Updater } = await import('tuf-js');
  const updater = new Updater({
    metadataDir: join(cacheDir, 'metadata'),
    metadataBaseUrl: mirror,
    targetDir: join(cacheDir, 'targets'),
    targetBaseUrl: `${mirror}/targets`,
    config: { fetchRetry: 0 },
    ...(mirror.startsWith('file:') ? { fetcher: await fileFetcher() } : {}),
  });
  const failed = (what: string, err: unknown) =>
    new SigilError(
      'TUF_ERROR',
      `TUF ${what} from ${mirror} failed: ${(err as Error).message}`,
      'is the mirror reachable? `sigil initialize --mirror URL --root root.json` starts over from a trusted root',
    );
  try {
    await updater.refresh();
  } catch (err) {
    throw failed('update', err);
  }
  const target = async (name: string): Promise<Buffer | undefined> => {
    try {
      const info = await updater.getTargetInfo(name);
      if (!info) return undefined;
      const path = (await updater.findCachedTarget(info)) ?? (await updater.downloadTarget(info));
      return readFileSync(path);
    } catch (err) {
      throw failed(`target ${name}`, err);
    }
  };
  const trustedRoot = await target(TRUSTED_ROOT_TARGET);
  if (!trustedRoot) {
    throw new SigilError('TUF_ERROR', `the TUF repository at ${mirror} has no ${TRUSTED_ROOT_TARGET} target`);
  }
  const signingConfig = await target(SIGNING_CONFIG_TARGET);
  return { mirror, trustedRoot, ...(signingConfig ? { signingConfig } : {}) };
}

function readMirror(cacheDir: string): string {
  const path = join(cacheDir, 'remote.json');
  const json = parseJson(readFileSync(path), path);
  if (!isRecord(json) || typeof json.mirror !== 'string') {
    throw new SigilError(
      'BAD_JSON',
      `${path}: no mirror`,
      'run sigil initialize --mirror URL --root root.json',
    );
  }
  return json.mirror;
}

/**
 * A mirror on the file system (`file:///...`, cosign's air-gapped form): the repository's published folder
 * copied to the machine. The files are checked exactly as downloaded ones are.
 */
async function fileFetcher(): Promise<Fetcher> {
  const { BaseFetcher } = await import('tuf-js');
  // Not re-exported by tuf-js's index, but the class its updater tests for: a missing N.root.json must be
  // this error with status 404 to mean "no newer root", as an HTTP mirror's 404 does.
  const { DownloadHTTPError } = await import('tuf-js/dist/error.js');
  return new (class extends BaseFetcher {
    override async fetch(url: string): Promise<ReadableStream<Uint8Array<ArrayBuffer>>> {
      let bytes: Buffer;
      try {
        bytes = await readFile(fileURLToPath(url));
      } catch {
        throw new DownloadHTTPError(`no file ${url}`, 404);
      }
      return new Blob([new Uint8Array(bytes)]).stream() as ReadableStream<Uint8Array<ArrayBuffer>>;
    }
  })();
}

function normalizeMirror(mirror: string): string {
  let url: URL;
  try {
    url = new URL(mirror);
  } catch {
    throw new SigilError('BAD_INPUT', `--mirror ${mirror}: not a URL`);
  }
  if (!['https:', 'http:', 'file:'].includes(url.protocol)) {
    throw new SigilError('BAD_INPUT', `--mirror ${mirror}: an http(s) or file: URL is needed`);
  }
  return url.href.replace(/\/+$/, '');
}
