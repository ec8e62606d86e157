/**
 * Where notation keeps its files, so that sigil and notation share them: the user configuration directory
 * Go's os.UserConfigDir names ($XDG_CONFIG_HOME, else ~/.config; ~/Library/Application Support on macOS)
 * plus `notation/`. Inside: trustpolicy.oci.json (read first, notation 1.2+) or trustpolicy.json,
 * truststore/x509/{ca,signingAuthority,tsa}/<name>/, signingkeys.json and localkeys/.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { SigilError } from '../core/index.js';

export function notationConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  if (process.platform === 'darwin')
    return join(env.HOME || homedir(), 'Library', 'Application Support', 'notation');
  const xdg = env.XDG_CONFIG_HOME;
  if (xdg) return join(xdg, 'notation');
  return join(env.HOME || homedir(), '.config', 'notation');
}

export const TRUST_STORE_TYPES = ['ca', 'signingAuthority', 'tsa'] as const;
export type TrustStoreType = (typeof TRUST_STORE_TYPES)[number];

const FILE_NAME = /^[a-zA-Z0-9_.-]+$/;

/** Key, store and certificate names become file names: notation's [a-zA-Z0-9_.-]+ rule. */
export function checkFileName(name: string, what: string): string {
  if (!FILE_NAME.test(name)) {
    throw new SigilError(
      'BAD_INPUT',
      `${what} ${JSON.stringify(name)}: names follow the [a-zA-Z0-9_.-]+ format`,
    );
  }
  return name;
}

export function isTrustStoreType(value: string): value is TrustStoreType {
  return (TRUST_STORE_TYPES as readonly string[]).includes(value);
}

export function trustStoreDir(configDir: string, type: TrustStoreType, name: string): string {
  return join(configDir, 'truststore', 'x509', type, checkFileName(name, 'trust store'));
}

export function localKeyPaths(configDir: string, name: string): { keyPath: string; certPath: string } {
  const base = join(configDir, 'localkeys', checkFileName(name, 'key'));
  return { keyPath: `${base}.key`, certPath: `${base}.crt` };
}
