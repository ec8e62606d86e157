// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the guides' shell and GitHub Actions expressions, quoted as written
/**
 * The seed guides' cosign commands (scripts/seed-commands.ts), each run with sigil in place of cosign
 * against sigil's own stack: images on the embedded registry, the guides' issuers mapped to the dev
 * issuer's, keyless tokens in SIGSTORE_ID_TOKEN as a CI runner provides them. Every flag must be one
 * sigil's command knows (no usage error), and each command must do what the guide expects of it, or fail
 * with the recorded reason. The texts are checked against the guides when /work/shared/seeds is there.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  renderSeedCommands,
  SEED_COMMANDS,
  SEED_PAGE,
  SEED_PROSE,
  type SeedCommand,
} from '../../scripts/seed-commands.js';
import { parseReference, pushTestImage, RegistryClient } from '../../src/oci/index.js';
import { type RunningStack, startStack } from '../../src/server/index.js';
import { logKeyPath } from '../../src/tlog/index.js';
import { errorLine, sigil, workDir } from '../helpers/cli.js';

const SEEDS_DIR = process.env.SIGIL_SEEDS_DIR ?? '/work/shared/seeds';
const COSIGN_COMMAND =
  /\bcosign (version|generate-key-pair|import-key-pair|public-key|sign|verify|attest|verify-attestation|sign-blob|verify-blob|attest-blob|attach|download|tree|triangulate|copy|clean)\b/g;

/** Line continuations and runs of whitespace collapsed, as the list writes the commands. */
function normalize(text: string): string {
  return text
    .replace(/\s*\\\s+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** A small shell word splitter: double and single quotes, `VAR=value` prefixes; stops at a redirection. */
export function shellWords(command: string): { env: Record<string, string>; words: string[] } {
  const words: string[] = [];
  const pattern = /"((?:[^"\\]|\\.)*)"|'([^']*)'|([^\s"']+)/g;
  let current = '';
  let last = -1;
  for (let match = pattern.exec(command); match; match = pattern.exec(command)) {
    const piece = match[1] ?? match[2] ?? match[3] ?? '';
    const joined = last === match.index;
    last = pattern.lastIndex;
    if (joined) current += piece;
    else {
      if (current) words.push(current);
      current = piece;
    }
  }
  if (current) words.push(current);
  const env: Record<string, string> = {};
  while (words[0] && /^[A-Z_]+=/.test(words[0])) {
    const [name, value] = (words.shift() as string).split(/=(.*)/s);
    env[name as string] = value ?? '';
  }
  const redirect = words.findIndex((w) => /^\d?>/.test(w));
  return { env, words: redirect === -1 ? words : words.slice(0, redirect) };
}

function seedFile(seed: string): string {
  const name = readdirSync(SEEDS_DIR).find((f) => f.startsWith(`${seed}_`));
  if (!name) throw new Error(`no seed ${seed} in ${SEEDS_DIR}`);
  return readFileSync(join(SEEDS_DIR, name), 'utf8');
}

describe('seed commands: the list', () => {
  it('docs/seed-commands.md is what scripts/seed-commands.ts writes', () => {
    assert.ok(
      readFileSync(SEED_PAGE, 'utf8') === renderSeedCommands(),
      'docs/seed-commands.md is stale: run node --import tsx scripts/seed-commands.ts',
    );
  });

  const seeds = existsSync(SEEDS_DIR);
  if (!seeds) process.stderr.write(`\n*** ${SEEDS_DIR} is not here: the seed texts are not checked ***\n`);
  it('holds every cosign command of the guides, as written', { skip: !seeds && `no ${SEEDS_DIR}` }, () => {
    for (const seed of [...new Set(SEED_COMMANDS.map((c) => c.seed))]) {
      const lines = seedFile(seed).split('\n');
      lines.forEach((line, i) => {
        const found = line.match(COSIGN_COMMAND)?.length ?? 0;
        if (found === 0) return;
        const listed =
          SEED_COMMANDS.filter((c) => c.seed === seed && c.line === i + 1).length +
          SEED_PROSE.filter((p) => p.seed === seed && p.line === i + 1).length;
        assert.ok(
          listed >= found,
          `${seed}:${i + 1} has ${found} cosign command(s), the list ${listed}: ${line}`,
        );
      });
      for (const command of SEED_COMMANDS.filter((c) => c.seed === seed)) {
        const around = normalize(lines.slice(command.line - 1, command.line + 8).join('\n'));
        assert.ok(around.includes(command.text), `${seed}:${command.line} does not read: ${command.text}`);
      }
    }
  });
});

describe('seed commands: run with sigil on its own stack', () => {
  let stack: RunningStack;
  let root: string;
  let env: Record<string, string>;
  const client = new RegistryClient({});
  const images = new Map<string, string>();

  before(async () => {
    root = await workDir();
    stack = await startStack({ dataDir: join(root, 'stack'), host: '127.0.0.1' });
    env = {
      COSIGN_PASSWORD: '',
      SIGIL_SIGNING_CONFIG: join(root, 'stack', 'signing_config.json'),
      SIGIL_TRUSTED_ROOT: join(root, 'stack', 'trusted_root.json'),
      SIGSTORE_REKOR_PUBLIC_KEY: `${logKeyPath(join(root, 'stack', 'tlog'))}.pub`,
    };
    const spdx = JSON.stringify({ spdxVersion: 'SPDX-2.3', SPDXID: 'SPDXRef-DOCUMENT', packages: [] });
    const cyclonedx = JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.6', components: [] });
    const vuln = JSON.stringify({ scanner: { uri: 'pkg:github/aquasecurity/trivy', version: '0.58.0' } });
    for (const seed of new Set(SEED_COMMANDS.map((c) => c.seed))) {
      const dir = join(root, `seed-${seed}`);
      for (const command of SEED_COMMANDS.filter((c) => c.seed === seed)) {
        await mkdir(join(dir, command.cwd ?? ''), { recursive: true });
      }
      const files = {
        'sbom.json': spdx,
        'sbom.spdx.json': spdx,
        'sbom-spdx.json': spdx,
        'sbom.cdx.json': cyclonedx,
      };
      for (const [name, content] of Object.entries({
        ...files,
        'vuln.json': vuln,
        'vuln-report.json': vuln,
      })) {
        await writeFile(join(dir, name), content);
      }
    }
  });
  after(() => stack?.close());

  /** The local image standing for the guide's: pushed once per repository and tag. */
  async function localImage(command: SeedCommand): Promise<string> {
    const repo = command.repo as string;
    const key = `${repo}:${command.tag ?? ''}`;
    let image = images.get(key);
    if (!image) {
      const tagged = `${stack.registryAddress}/${repo}:${command.tag ?? 'v1'}`;
      const digest = await pushTestImage(client, parseReference(tagged), { files: { 'app.txt': key } });
      image = command.tag ? tagged : `${stack.registryAddress}/${repo}@${digest}`;
      images.set(key, image);
    }
    return image;
  }

  async function tokenEnv(signer: string | undefined): Promise<Record<string, string>> {
    if (!signer) return {};
    const request = signer.includes('@')
      ? { kind: 'email' as const, email: signer }
      : { kind: 'github-actions' as const, repository: signer };
    return { SIGSTORE_ID_TOKEN: await stack.mintToken(request) };
  }

  /** The guide's command with the local image, the dev issuer's URLs and the workflow's repository. */
  async function argv(command: SeedCommand): Promise<{ env: Record<string, string>; args: string[] }> {
    let text = command.image ? command.text.replace(command.image, await localImage(command)) : command.text;
    text = text
      .replaceAll('https://token.actions.githubusercontent.com', stack.issuers['github-actions'])
      .replaceAll('https://accounts.google.com', stack.issuers.email)
      .replaceAll('${{ github.repository }}', command.signer ?? '');
    const { env: prefix, words } = shellWords(text);
    assert.equal(words[0], 'cosign');
    return { env: prefix, args: words.slice(1) };
  }

  async function setup(command: SeedCommand, dir: string, extra: Record<string, string>): Promise<void> {
    if (!command.setup) return;
    const image = await localImage(command);
    const [verb, type] = command.setup.split(' ');
    const predicate = type === 'cyclonedx' ? 'sbom.cdx.json' : 'sbom.spdx.json';
    const args =
      verb === 'sign'
        ? ['sign', '--yes', image]
        : ['attest', '--yes', '--type', type as string, '--predicate', predicate, image];
    const result = await sigil(args, { cwd: dir, env: { ...env, ...extra } });
    assert.equal(result.code, 0, `setup ${args.join(' ')}: ${result.stderr}`);
  }

  // The guides run side by side (each in its own folder), the commands of one guide in its order.
  describe('each guide', { concurrency: 3 }, () => {
    for (const seed of new Set(SEED_COMMANDS.map((c) => c.seed))) {
      describe(`guide ${seed}`, { concurrency: 1 }, () => {
        for (const command of SEED_COMMANDS.filter((c) => c.seed === seed)) runs(command);
      });
    }
  });

  function runs(command: SeedCommand): void {
    it(`${command.seed}:${command.line} ${command.text}`, async () => {
      const dir = join(root, `seed-${command.seed}`, command.cwd ?? '');
      const token = await tokenEnv(command.signer);
      await setup(command, dir, token);
      const { env: prefix, args } = await argv(command);
      const result = await sigil(args, { cwd: dir, env: { ...env, ...token, ...prefix } });
      // commander's own usage errors ("error: unknown option ...") start in lower case; sigil's with "Error:".
      assert.doesNotMatch(result.stderr, /^error: /m, 'a flag or argument sigil does not take');
      if (command.expect === 'ok') {
        assert.equal(result.code, 0, result.stderr);
      } else {
        assert.notEqual(result.code, 0);
        assert.match(errorLine(result), new RegExp(command.expect.error));
      }
    });
  }
});
