/** The log's key, read once per page load from the log's health answer and imported for WebCrypto. */
import { getJson, type LogHealth } from './api';
import { pemBlock } from './bytes';
import { importLogKey, type LogKey } from './verify';

let key: Promise<LogKey> | undefined;

export function logKey(): Promise<LogKey> {
  key ??= getJson<LogHealth>('log/health').then((health) => {
    const spki = pemBlock(health.publicKey, 'PUBLIC KEY');
    if (!spki) throw new Error('the log published no PEM public key');
    return importLogKey(spki);
  });
  key.catch(() => {
    key = undefined;
  });
  return key;
}
