/**
 * One notation configuration shared by sigil and the real notation CLI in a test: a temp directory as
 * HOME and XDG_CONFIG_HOME (so both read the same trustpolicy.json, truststore/ and signingkeys.json),
 * and runners for each tool in it.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseReference, pushTestImage, type RegistryClient } from '../../src/oci/index.js';
import { type CliResult, runProcess, sigil, workDir } from './cli.js';

/** Asserts that a run of either tool exited 0, naming `what` and showing its output otherwise. */
export function assertRan(result: CliResult, what: string): void {
  assert.equal(result.code, 0, `${what}: ${result.stdout}${result.stderr}`);
}

/** Pushes a small image to `<registryAddress>/<repo>:v1`; returns it by digest, as signing wants it. */
export async function pushByDigest(
  client: RegistryClient,
  registryAddress: string,
  repo: string,
): Promise<string> {
  const digest = await pushTestImage(client, parseReference(`${registryAddress}/${repo}:v1`), {
    files: { 'f.txt': repo },
  });
  return `${registryAddress}/${repo}@${digest}`;
}

export interface NotationHome {
  dir: string;
  configDir: string;
  sigil(...args: string[]): Promise<CliResult>;
  /** sigil notation with more environment (a token's SOFTHSM2_CONF). */
  sigilWith(env: Record<string, string>, ...args: string[]): Promise<CliResult>;
  notation(...args: string[]): Promise<CliResult>;
  /** Writes trustpolicy.json (the document notation 1.x reads when there is no trustpolicy.oci.json). */
  writePolicy(statements: object[]): Promise<void>;
}

export async function notationHome(notationBinary: string): Promise<NotationHome> {
  const dir = await workDir();
  const configDir = join(dir, 'config', 'notation');
  await mkdir(configDir, { recursive: true });
  const env = { XDG_CONFIG_HOME: join(dir, 'config') };
  return {
    dir,
    configDir,
    sigil: (...args) => sigil(['notation', ...args], { cwd: dir, env }),
    sigilWith: (more, ...args) => sigil(['notation', ...args], { cwd: dir, env: { ...env, ...more } }),
    notation: (...args) => runProcess(notationBinary, args, { cwd: dir, env }),
    writePolicy: (statements) =>
      writeFile(
        join(configDir, 'trustpolicy.json'),
        JSON.stringify({ version: '1.0', trustPolicies: statements }),
      ),
  };
}

/** A strict statement over every repository trusting the store ca:NAME and any identity. */
export function strictPolicy(store: string, extra: object = {}): object {
  return {
    name: 'all',
    registryScopes: ['*'],
    signatureVerification: { level: 'strict' },
    trustStores: [`ca:${store}`],
    trustedIdentities: ['*'],
    ...extra,
  };
}
