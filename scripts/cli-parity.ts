/**
 * Writes docs/cli-parity.md: for every command sigil shares with cosign, each flag the REAL cosign's
 * `--help` lists, and whether sigil's `--help` lists it too. Flags sigil lacks take their reason from
 * docs/cli-parity-reasons.yaml (kept by hand, keyed by command and flag, so regenerating keeps them); a
 * flag with no reason shows as "missing" so that gaps stay visible. test/docs/cli-parity.test.ts
 * regenerates the page and fails when it is stale or has a missing row.
 *
 *   npx tsc -p tsconfig.build.json && node --import tsx scripts/cli-parity.ts [--cosign PATH] [--check]
 *
 * Without --cosign, the cosign v3 that test/peers/install.sh pins. --check compares instead of writing.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { COSIGN_COMMANDS } from '../src/cli/cosign-root-options.js';
import { peerBinary, peerVersion } from '../test/helpers/peers.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const PARITY_PAGE = join(ROOT, 'docs', 'cli-parity.md');
export const REASONS_FILE = join(ROOT, 'docs', 'cli-parity-reasons.yaml');
const SIGIL_BIN = join(ROOT, 'bin', 'sigil.js');

/** The flags cosign's root command gives every command (pflag's "Global Flags"). */
export const GLOBAL = '(global)';

export interface Flag {
  long: string;
  short?: string;
}

/** cosign (cobra) prints each flag of a command as `    -s, --name=default:` on a line of its own. */
export function parseCosignHelp(help: string): { flags: Flag[]; global: Flag[] } {
  const flags: Flag[] = [];
  const global: Flag[] = [];
  let section: Flag[] | undefined;
  for (const line of help.split('\n')) {
    if (line === 'Flags:') section = flags;
    else if (line === 'Global Flags:') section = global;
    else if (/^\S/.test(line)) section = undefined;
    const match = /^\s+(?:-(\w), )?--([a-z0-9-]+)[= ]/.exec(line);
    if (section && match) section.push(flagOf(match[2] as string, match[1]));
  }
  return { flags: flags.filter(notHelp), global: global.filter(notHelp) };
}

/**
 * sigil (commander) prints its options under `Options:`, each starting two spaces in; wrapped help text
 * continues further in, so only a line with exactly two leading spaces starts an option.
 */
export function parseSigilHelp(help: string): Flag[] {
  const flags: Flag[] = [];
  let inOptions = false;
  for (const line of help.split('\n')) {
    if (/^\S/.test(line)) inOptions = line === 'Options:';
    const match = /^ {2}(?:-(\w), )?--([a-z0-9-]+)/.exec(line);
    if (inOptions && match) flags.push(flagOf(match[2] as string, match[1]));
  }
  return flags.filter(notHelp);
}

function flagOf(long: string, short: string | undefined): Flag {
  return short ? { long, short } : { long };
}

function notHelp(flag: Flag): boolean {
  return flag.long !== 'help' && flag.long !== 'version';
}

/**
 * `{command: {flag: reason}}`, the flag without its dashes. Command `'*'` holds the reasons shared by every
 * command that has the flag (cosign's registry options recur on a dozen commands); a command's own entry wins.
 */
export type Reasons = Record<string, Record<string, string>>;

export function loadReasons(file = REASONS_FILE): Reasons {
  const data = (parse(readFileSync(file, 'utf8')) ?? {}) as Reasons;
  for (const [command, flags] of Object.entries(data)) {
    if (typeof flags !== 'object' || flags === null)
      throw new Error(`${file}: ${command} must map flags to reasons`);
    for (const [flag, reason] of Object.entries(flags)) {
      if (typeof reason !== 'string' || reason.trim() === '') {
        throw new Error(`${file}: ${command} --${flag} needs a reason (a non-empty string)`);
      }
    }
  }
  return data;
}

export interface CommandParity {
  command: string;
  rows: { flag: Flag; status: 'supported' | 'refused' | 'not supported' | 'missing'; note: string }[];
  sigilOnly: Flag[];
}

export function compareCommand(
  command: string,
  cosign: Flag[],
  sigil: Flag[],
  reasons: Reasons,
): CommandParity {
  const ours = new Map(sigil.map((f) => [f.long, f]));
  const rows = cosign.map((flag) => {
    const mine = ours.get(flag.long);
    const reason = reasons[command]?.[flag.long] ?? reasons['*']?.[flag.long];
    if (mine && reason?.startsWith(REFUSED)) return { flag, status: 'refused' as const, note: reason };
    if (mine) {
      const note = flag.short && mine.short !== flag.short ? `sigil has no -${flag.short} shorthand` : '';
      return { flag, status: 'supported' as const, note };
    }
    if (reason) return { flag, status: 'not supported' as const, note: reason };
    return { flag, status: 'missing' as const, note: 'no reason recorded' };
  });
  const theirs = new Set(cosign.map((f) => f.long));
  return { command, rows, sigilOnly: sigil.filter((f) => !theirs.has(f.long)) };
}

/** A reason for a flag sigil takes only to refuse it with an error (a seed guide passes it). */
const REFUSED = 'refused:';

/**
 * Reasons that no longer explain anything: for a flag cosign does not have there (renamed, dropped, a typo),
 * or one sigil now supports (the row would contradict the page).
 */
export function staleReasons(parity: CommandParity[], reasons: Reasons): string[] {
  const stale: string[] = [];
  for (const [command, flags] of Object.entries(reasons)) {
    const scope = command === '*' ? parity : parity.filter((p) => p.command === command);
    for (const flag of Object.keys(flags)) {
      const rows = scope.flatMap((p) => p.rows.filter((r) => r.flag.long === flag));
      const refusing = flags[flag]?.startsWith(REFUSED);
      if (rows.length === 0) stale.push(`${command} --${flag}: cosign has no such flag there`);
      else if (rows.every((r) => r.status === 'supported'))
        stale.push(`${command} --${flag}: sigil supports it`);
      else if (refusing && rows.some((r) => r.status !== 'refused'))
        stale.push(`${command} --${flag}: "refused:" but sigil does not take the flag`);
    }
  }
  return stale;
}

function run(file: string, args: string[]): string {
  // cosign prints deprecation notices on stderr; only the help text on stdout is read.
  return execFileSync(file, args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/', COLUMNS: '200' },
  });
}

export function collectParity(cosignPath: string, reasons: Reasons): CommandParity[] {
  const sigilHelp = (command: string): string =>
    run(process.execPath, [SIGIL_BIN, ...command.split(' ').filter(Boolean), '--help']);
  const parity: CommandParity[] = [];
  let globalFlags: Flag[] = [];
  const sigilFlags: Flag[][] = [];
  for (const command of COSIGN_COMMANDS) {
    const cosign = parseCosignHelp(run(cosignPath, [...command.split(' '), '--help']));
    if (cosign.flags.length === 0 && cosign.global.length === 0) {
      throw new Error(`cosign ${command} --help listed no flags: is ${cosignPath} cosign v3?`);
    }
    globalFlags = cosign.global;
    const ours = parseSigilHelp(sigilHelp(command));
    sigilFlags.push(ours);
    const compared = compareCommand(command, cosign.flags, ours, reasons);
    // cosign's root flags are compared once, under (global).
    compared.sigilOnly = compared.sigilOnly.filter((f) => !cosign.global.some((g) => g.long === f.long));
    parity.push(compared);
  }
  // cosign's root flags count as supported when every shared command of sigil takes them.
  const everywhere = (sigilFlags[0] ?? []).filter((flag) =>
    sigilFlags.every((flags) => flags.some((f) => f.long === flag.long)),
  );
  parity.push(compareCommand(GLOBAL, globalFlags, everywhere, reasons));
  return parity;
}

function flagText(flag: Flag): string {
  return flag.short ? `-${flag.short}, --${flag.long}` : `--${flag.long}`;
}

function cell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

export function renderParity(parity: CommandParity[], cosignVersion: string): string {
  const lines = [
    `# CLI parity with cosign ${cosignVersion}`,
    '',
    '<!-- Generated by `node --import tsx scripts/cli-parity.ts` (after `npx tsc -p tsconfig.build.json`); do not',
    '     edit: reasons live in docs/cli-parity-reasons.yaml. test/docs/cli-parity.test.ts fails when stale. -->',
    '',
    `Every flag the real cosign ${cosignVersion} lists in \`--help\`, for each command sigil shares with it, and`,
    "whether sigil's `--help` lists the same flag. A supported flag means what it means in cosign; a flag sigil",
    'does not take is refused as unknown, with the reason below; a few flags the seed guides pass are taken',
    'only to be refused with a one-line error saying why ("refused"). `pkcs11-tool` is not compared: the',
    'cosign release binaries are built without it.',
    '',
    '## Summary',
    '',
    '| command | cosign flags | supported | taken but refused | not supported (with reason) | missing (no reason recorded) |',
    '|---|---|---|---|---|---|',
  ];
  for (const p of parity) {
    const count = (status: string) => p.rows.filter((r) => r.status === status).length;
    lines.push(
      `| [${p.command}](#${anchor(p.command)}) | ${p.rows.length} | ${count('supported')} | ${count('refused')} | ${count('not supported')} | ${count('missing')} |`,
    );
  }
  for (const p of parity) {
    lines.push('', `## ${p.command}`, '', '| cosign flag | sigil | reason / note |', '|---|---|---|');
    for (const row of p.rows) {
      const status = row.status === 'missing' ? '**missing**' : row.status;
      lines.push(`| \`${flagText(row.flag)}\` | ${status} | ${cell(row.note)} |`);
    }
    if (p.sigilOnly.length > 0) {
      const flags = p.sigilOnly.map((f) => `\`${flagText(f)}\``).join(', ');
      lines.push(
        '',
        `Not in cosign's \`--help\` (sigil's own, or flags cosign hides, such as --tlog-upload): ${flags}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

/** GitHub's heading anchors: lower case, spaces to dashes, punctuation other than dashes dropped. */
function anchor(heading: string): string {
  return heading
    .toLowerCase()
    .replaceAll(' ', '-')
    .replace(/[^a-z0-9-]/g, '');
}

export function cosignVersionOf(cosignPath: string): string {
  const match = /GitVersion:\s+(\S+)/.exec(run(cosignPath, ['version']));
  if (!match) throw new Error(`${cosignPath} version printed no GitVersion`);
  return `v${(match[1] as string).replace(/^v/, '')}`;
}

export function generateParityPage(cosignPath: string): {
  page: string;
  parity: CommandParity[];
  stale: string[];
} {
  const reasons = loadReasons();
  const parity = collectParity(cosignPath, reasons);
  return {
    page: renderParity(parity, cosignVersionOf(cosignPath)),
    parity,
    stale: staleReasons(parity, reasons),
  };
}

function main(argv: string[]): void {
  const at = argv.indexOf('--cosign');
  const cosignPath = at >= 0 ? argv[at + 1] : peerBinary('cosign-v3', 'cosign');
  if (!cosignPath) {
    throw new Error(
      `no cosign ${peerVersion('cosign-v3')}: run bash test/peers/install.sh cosign-v3, or pass --cosign PATH`,
    );
  }
  const { page, parity, stale } = generateParityPage(cosignPath);
  for (const line of stale) process.stderr.write(`stale reason: ${line}\n`);
  const missing = parity.flatMap((p) =>
    p.rows.filter((r) => r.status === 'missing').map((r) => `${p.command} --${r.flag.long}`),
  );
  if (argv.includes('--check')) {
    const current = readFileSync(PARITY_PAGE, 'utf8');
    if (current !== page)
      throw new Error('docs/cli-parity.md is stale: run node --import tsx scripts/cli-parity.ts');
  } else {
    writeFileSync(PARITY_PAGE, page);
  }
  if (missing.length > 0) process.stderr.write(`flags with no reason recorded: ${missing.join(', ')}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main(process.argv.slice(2));
