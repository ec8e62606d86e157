/**
 * `sigil tuf` (the operator's side: a TUF repository whose targets are the deployment's trusted_root.json
 * and signing config) and `sigil initialize` (the client's side, with cosign's flags).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { readUserFile, SigilError } from '../../core/index.js';
import {
  defaultTufCacheDir,
  generateRoleKey,
  initializeTuf,
  keyPath,
  ONLINE_ROLES,
  type OnlineRole,
  type RefreshReport,
  type RoleKey,
  readRoleKey,
  startTufServer,
  TUF_KEY_TYPES,
  type TufKeyType,
  TufRepository,
  writeRoleKey,
} from '../../tuf/index.js';
import { parseAddress } from '../address.js';
import { parseGoDuration } from '../cosign-root-options.js';
import { info, printResult, warn } from '../output.js';
import { action } from '../run.js';
import { closeOnSignal } from '../serving.js';

const DEFAULT_REPO_DIR = './.sigil/tuf';

/** One line per refresh for an operator's log: what was re-signed, or what needs their root key. */
export function reportTufRefresh(report: RefreshReport | Error): void {
  if (report instanceof Error) {
    warn(`TUF refresh failed: ${report.message}`);
    return;
  }
  if (report.resigned.length > 0) info(`TUF metadata re-signed: ${report.resigned.join(', ')}`);
  if (report.rootExpires) {
    warn(`TUF root expires ${report.rootExpires}: re-sign it with sigil tuf refresh --root-key <file>`);
  }
}

function parseKeyType(value: string): TufKeyType {
  if (!(TUF_KEY_TYPES as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`expected one of ${TUF_KEY_TYPES.join(', ')}`);
  }
  return value as TufKeyType;
}

function parseRoles(value: string): OnlineRole[] {
  const roles = value.split(',').map((role) => role.trim());
  for (const role of roles) {
    if (!(ONLINE_ROLES as readonly string[]).includes(role)) {
      throw new InvalidArgumentError(`"${role}" is not one of ${ONLINE_ROLES.join(', ')}`);
    }
  }
  return roles as OnlineRole[];
}

/** The root key: --root-key, else the one init left in the repository's keys/ (an online root). */
function rootKeyOf(repoDir: string, flag: string | undefined): RoleKey {
  if (flag) return readRoleKey(flag);
  const stored = keyPath(repoDir, 'root');
  if (existsSync(stored)) return readRoleKey(stored);
  throw new SigilError('BAD_INPUT', `${repoDir} keeps no root key: pass the offline one with --root-key`);
}

export function registerTufCommands(program: Command): void {
  const tuf = program
    .command('tuf')
    .description("A TUF repository distributing the deployment's trusted root and signing config");

  tuf
    .command('init')
    .description('Create a TUF repository: keys for root, targets, snapshot and timestamp, version 1 of each')
    .option('--repo-dir <dir>', 'where the repository and its online keys live', DEFAULT_REPO_DIR)
    .option(
      '--root-key <file>',
      'an existing root key (PKCS#8 PEM) kept offline: not copied into the repository',
    )
    .option(
      '--key-type <type>',
      `type of the keys created: ${TUF_KEY_TYPES.join(', ')}`,
      parseKeyType,
      'ed25519',
    )
    .option('--target <file...>', 'files to publish as targets at once (named by their file name)')
    .addHelpText(
      'after',
      `
Layout: <repo-dir>/repository/ is what clients fetch (serve it with sigil tuf serve, or copy it to a CDN);
<repo-dir>/keys/ holds the online keys (targets, snapshot, timestamp) and, unless --root-key, the root key.

Examples:
  sigil tuf init --target .sigil/trusted_root.json
  # the root key offline: created on a separate machine, brought in for root changes only
  sigil tuf generate-key root.pem && sigil tuf init --root-key root.pem`,
    )
    .action(
      action(async (opts: { repoDir: string; rootKey?: string; keyType: TufKeyType; target?: string[] }) => {
        const repository = await TufRepository.init(opts.repoDir, {
          keyType: opts.keyType,
          ...(opts.rootKey ? { rootKey: readRoleKey(opts.rootKey) } : {}),
        });
        if (opts.target) await repository.publishTargets(opts.target.map((file) => targetFile(file)));
        info(
          `TUF repository created in ${opts.repoDir}; clients initialize with ${join(repository.publishedDir, 'root.json')}`,
        );
      }),
    );

  tuf
    .command('add-target')
    .description(
      'Publish files as targets: a new targets version (a rotated log, CA or TSA key is a new trusted_root.json)',
    )
    .argument('<file...>', 'files to publish')
    .option('--repo-dir <dir>', 'the repository (sigil tuf init)', DEFAULT_REPO_DIR)
    .option('--name <name>', 'the target name of a single file (default: its file name)')
    .addHelpText(
      'after',
      `
Sigstore clients read the targets trusted_root.json and signing_config.v0.2.json.

Examples:
  sigil tuf add-target .sigil/trusted_root.json
  sigil tuf add-target --name signing_config.v0.2.json .sigil/signing_config.json`,
    )
    .action(
      action(async (files: string[], opts: { repoDir: string; name?: string }) => {
        if (opts.name && files.length !== 1) throw new SigilError('BAD_INPUT', '--name takes a single file');
        const targets = files.map((file) => targetFile(file, opts.name));
        const changed = await TufRepository.open(opts.repoDir).publishTargets(targets);
        info(changed ? `published ${targets.map((t) => t.name).join(', ')}` : 'unchanged: nothing signed');
      }),
    );

  tuf
    .command('refresh')
    .description(
      'Re-sign the metadata past half its validity (timestamp, snapshot, targets; root with its key)',
    )
    .option('--repo-dir <dir>', 'the repository (sigil tuf init)', DEFAULT_REPO_DIR)
    .option('--root-key <file>', 'the offline root key, to re-sign root too when it is due')
    .addHelpText('after', '\nExample (from cron, daily):\n  sigil tuf refresh --repo-dir /srv/tuf')
    .action(
      action(async (opts: { repoDir: string; rootKey?: string }) => {
        const key = opts.rootKey ? readRoleKey(opts.rootKey) : undefined;
        const report = await TufRepository.open(opts.repoDir).refresh(new Date(), key);
        if (report.resigned.length === 0 && !report.rootExpires) info('nothing due');
        reportTufRefresh(report);
      }),
    );

  tuf
    .command('rotate-keys')
    .description('A new root version with new keys, signed by the current root key (and the new one)')
    .option('--repo-dir <dir>', 'the repository (sigil tuf init)', DEFAULT_REPO_DIR)
    .option('--root-key <file>', 'the current root key (default: the one in the repository, if kept there)')
    .option('--new-root-key <file>', 'the next root key (sigil tuf generate-key)')
    .option('--roles <list>', `online roles given new keys: ${ONLINE_ROLES.join(',')}`, parseRoles)
    .addHelpText(
      'after',
      `
Clients follow the chain of root versions on their next update.

Examples:
  sigil tuf rotate-keys --roles targets,snapshot,timestamp
  sigil tuf generate-key root-2027.pem
  sigil tuf rotate-keys --root-key root-2026.pem --new-root-key root-2027.pem`,
    )
    .action(
      action(
        async (opts: { repoDir: string; rootKey?: string; newRootKey?: string; roles?: OnlineRole[] }) => {
          const repository = TufRepository.open(opts.repoDir);
          const newKeys: Partial<Record<'root' | OnlineRole, RoleKey>> = {};
          if (opts.newRootKey) newKeys.root = readRoleKey(opts.newRootKey);
          const type = (key: RoleKey): TufKeyType =>
            key.public.keytype === 'ed25519' ? 'ed25519' : 'ecdsa-p256';
          const current = rootKeyOf(opts.repoDir, opts.rootKey);
          for (const role of opts.roles ?? []) newKeys[role] = generateRoleKey(type(current));
          if (Object.keys(newKeys).length === 0) {
            throw new SigilError('BAD_INPUT', 'nothing to rotate: pass --new-root-key and/or --roles');
          }
          await repository.rotateKeys(current, newKeys);
          info(
            `root version ${repository.rootVersion} names the new keys (${Object.keys(newKeys).join(', ')})`,
          );
        },
      ),
    );

  tuf
    .command('generate-key')
    .description('Write a new TUF key (PKCS#8 PEM, unencrypted: keep it offline) for root or a rotation')
    .argument('<file>', 'where to write the private key (must not exist)')
    .option('--key-type <type>', TUF_KEY_TYPES.join(' or '), parseKeyType, 'ed25519')
    .action(
      action(async (file: string, opts: { keyType: TufKeyType }) => {
        const key = generateRoleKey(opts.keyType);
        await writeRoleKey(file, key);
        printResult(key.id);
      }),
    );

  tuf
    .command('serve')
    .description(
      'Serve the repository over HTTP, re-signing timestamp, snapshot and targets before they expire',
    )
    .option('--repo-dir <dir>', 'the repository (sigil tuf init)', DEFAULT_REPO_DIR)
    .option('--addr <host:port>', 'address to listen on', '127.0.0.1:8088')
    .option(
      '--refresh-interval <duration>',
      'how often expiry is checked (Go duration)',
      parseGoDuration,
      3_600_000,
    )
    .addHelpText(
      'after',
      `
Clients: sigil initialize --mirror http://HOST:8088 --root root.json (or cosign initialize, same flags).

Example:
  sigil tuf serve --repo-dir /srv/tuf --addr 0.0.0.0:8088`,
    )
    .action(
      action(async (opts: { repoDir: string; addr: string; refreshInterval: number }) => {
        TufRepository.open(opts.repoDir);
        const { host, port } = parseAddress(opts.addr);
        const server = await startTufServer({
          dir: opts.repoDir,
          host,
          port,
          refreshIntervalMs: opts.refreshInterval,
          onRefresh: reportTufRefresh,
        });
        info(`TUF repository ${opts.repoDir} served at ${server.url}`);
        closeOnSignal(server.close);
      }),
    );

  program
    .command('initialize')
    .description(
      "Trust a TUF root for a mirror; sign and verify then use the mirror's trusted root and signing config",
    )
    .requiredOption(
      '--mirror <url>',
      'the TUF repository: http(s) (sigil serve: http://HOST:8088), or file:///path for a copy (air-gapped)',
    )
    .requiredOption('--root <file|url>', 'the trusted initial root.json, obtained out of band')
    .option(
      '--root-checksum <sha256>',
      'the SHA-256 (hex) the root must have (required when --root is a URL)',
    )
    .addHelpText(
      'after',
      `
The cache is $SIGIL_TUF_ROOT, else ~/.sigil/tuf. Afterwards, sign and verify commands given no trust
flags (--trusted-root, --signing-config, $SIGIL_TRUSTED_ROOT...) update from the mirror and use its
trusted_root.json and signing_config.v0.2.json.

Example:
  sigil initialize --mirror https://tuf.example.com --root root.json`,
    )
    .action(
      action(async (opts: { mirror: string; root: string; rootChecksum?: string }) => {
        const root = await readRoot(opts.root, opts.rootChecksum);
        const cacheDir = defaultTufCacheDir();
        const trust = await initializeTuf(cacheDir, opts.mirror, root);
        info(
          `TUF initialized in ${cacheDir} from ${trust.mirror}: trusted_root.json` +
            (trust.signingConfig ? ' and signing_config.v0.2.json' : ' (no signing config published)'),
        );
      }),
    );
}

function targetFile(path: string, name?: string) {
  return { name: name ?? basename(path), bytes: readUserFile(path, 'target') };
}

/**
 * The initial root, from a file or a URL. A downloaded root is only as trustworthy as the download, so
 * a URL needs --root-checksum (cosign merely warns without one: sigil refuses).
 */
async function readRoot(location: string, checksum: string | undefined): Promise<Buffer> {
  const remote = /^https?:\/\//.test(location);
  if (remote && !checksum) {
    throw new SigilError('BAD_INPUT', `--root ${location} is a URL: pass its --root-checksum (SHA-256, hex)`);
  }
  let bytes: Buffer;
  if (remote) {
    const response = await fetch(location).catch((err: Error) => {
      throw new SigilError('SERVICE_UNREACHABLE', `--root ${location}: ${err.message}`);
    });
    if (!response.ok) throw new SigilError('SERVICE_ERROR', `--root ${location}: HTTP ${response.status}`);
    bytes = Buffer.from(await response.arrayBuffer());
  } else {
    bytes = readUserFile(location, 'TUF root');
  }
  if (checksum) {
    // cosign's form: hex SHA-256, or "sha512:<hex>" (a "sha256:" prefix is accepted too).
    const [algorithm, expected] = /^sha(256|512):/i.test(checksum)
      ? [checksum.slice(0, 6).toLowerCase(), checksum.slice(7)]
      : ['sha256', checksum];
    const actual = createHash(algorithm).update(bytes).digest('hex');
    if (actual !== expected.toLowerCase()) {
      throw new SigilError(
        'DIGEST_MISMATCH',
        `--root ${location} has ${algorithm.toUpperCase()} ${actual}, not --root-checksum ${checksum}`,
      );
    }
  }
  return bytes;
}
