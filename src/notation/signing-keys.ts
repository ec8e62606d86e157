/**
 * notation's signingkeys.json: the named signing keys (a key file and its certificate chain file; or a
 * plugin key, which sigil lists but cannot use) and the default one. sigil adds one kind notation lacks:
 * a `pkcs11:` URI as keyPath (notation reports such a key as unreadable; it signs only with sigil).
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { isRecord, parseJson, SigilError, writeFileAtomic } from '../core/index.js';

export interface SigningKeyEntry {
  name: string;
  keyPath?: string;
  certPath?: string;
  /** Plugin keys (notation key add --plugin): listed, not usable by sigil. */
  id?: string;
  pluginName?: string;
  pluginConfig?: Record<string, string>;
}

export interface SigningKeys {
  default?: string;
  keys: SigningKeyEntry[];
}

export function signingKeysPath(configDir: string): string {
  return join(configDir, 'signingkeys.json');
}

export function readSigningKeys(configDir: string): SigningKeys {
  const path = signingKeysPath(configDir);
  if (!existsSync(path)) return { keys: [] };
  const doc = parseJson(readFileSync(path), path);
  if (!isRecord(doc) || !(doc.keys === undefined || doc.keys === null || Array.isArray(doc.keys))) {
    throw new SigilError('BAD_INPUT', `${path}: malformed signing keys (no "keys" list)`);
  }
  const keys = ((doc.keys ?? []) as unknown[]).map((entry, i) => {
    if (!isRecord(entry) || typeof entry.name !== 'string' || entry.name === '') {
      throw new SigilError('BAD_INPUT', `${path}: keys[${i}] has no name`);
    }
    return entry as unknown as SigningKeyEntry;
  });
  return { ...(typeof doc.default === 'string' && doc.default !== '' ? { default: doc.default } : {}), keys };
}

export async function writeSigningKeys(configDir: string, keys: SigningKeys): Promise<void> {
  const path = signingKeysPath(configDir);
  await mkdir(dirname(path), { recursive: true });
  const doc = { ...(keys.default ? { default: keys.default } : {}), keys: keys.keys };
  await writeFileAtomic(path, `${JSON.stringify(doc, null, 4)}\n`, { mode: 0o600 });
}

/** Adds a key (refusing a name already used) and, with `makeDefault`, makes it the default. */
export async function addSigningKey(
  configDir: string,
  entry: SigningKeyEntry,
  makeDefault: boolean,
): Promise<void> {
  const keys = readSigningKeys(configDir);
  if (keys.keys.some((k) => k.name === entry.name)) {
    throw new SigilError(
      'FILE_EXISTS',
      `signing key ${JSON.stringify(entry.name)} already exists`,
      'choose another name or delete it first',
    );
  }
  keys.keys.push(entry);
  if (makeDefault) keys.default = entry.name;
  await writeSigningKeys(configDir, keys);
}

/** The entry named `name`, or the default one when no name is given. */
export function findSigningKey(configDir: string, name: string | undefined): SigningKeyEntry {
  const keys = readSigningKeys(configDir);
  const wanted = name ?? keys.default;
  if (wanted === undefined) {
    throw new SigilError(
      'NOT_FOUND',
      'no signing key given and no default signing key is set',
      'use --key NAME or sigil notation key set NAME',
    );
  }
  const entry = keys.keys.find((k) => k.name === wanted);
  if (!entry)
    throw new SigilError(
      'NOT_FOUND',
      `signing key ${JSON.stringify(wanted)} is not in ${signingKeysPath(configDir)}`,
    );
  return entry;
}
