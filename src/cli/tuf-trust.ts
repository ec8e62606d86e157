/**
 * The trust `sigil initialize` set up: before a command that reads a trusted root or a signing config
 * runs, the TUF metadata is updated from the mirror (as the TUF client workflow requires on every use) and
 * the verified targets held for the resolvers in keyless.ts, which prefer explicit flags and variables.
 * An update that fails is not an error until the command actually needs that trust: a verification with
 * --key and no log, say, still runs with the mirror down; one that needs the trusted root fails closed.
 */
import type { Command } from 'commander';

type Loaded = { trustedRoot: Buffer; signingConfig?: Buffer } | { error: unknown };

let loaded: Loaded | undefined;

/** Adds the update to every command taking --trusted-root or --signing-config (those that read trust). */
export function addTufTrustHook(program: Command): void {
  const visit = (command: Command): void => {
    const readsTrust = command.options.some(
      (option) => option.long === '--trusted-root' || option.long === '--signing-config',
    );
    if (readsTrust) command.hook('preAction', loadTufTrust);
    command.commands.forEach(visit);
  };
  visit(program);
}

async function loadTufTrust(): Promise<void> {
  // Loaded on use: commands that read no trust, and users who never ran initialize, load no TUF client.
  const { defaultTufCacheDir, isTufInitialized, updateTuf } = await import('../tuf/index.js');
  const cacheDir = defaultTufCacheDir();
  if (!isTufInitialized(cacheDir)) return;
  try {
    loaded = await updateTuf(cacheDir);
  } catch (error) {
    loaded = { error };
  }
}

/** The TUF-distributed target, when initialize has run; throws the update's error if it failed. */
export function tufTarget(name: 'trustedRoot' | 'signingConfig'): Buffer | undefined {
  if (!loaded) return undefined;
  if ('error' in loaded) throw loaded.error;
  return loaded[name];
}
