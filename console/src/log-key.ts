/** The log's key, read once per page load from the log's /api/v1/log/publicKey and imported for WebCrypto. */
import { getText } from './api.js';
import { pemBlock } from './bytes.js';
import { importLogKey, type LogKey } from './verify.js';

let key: Promise<LogKey> | undefined;

export function logKey(): Promise<LogKey> {
  key ??= getText('log/publicKey').then((pem) => {
    const spki = pemBlock(pem, 'PUBLIC KEY');
    if (!spki) throw new Error('the log published no PEM public key');
    return importLogKey(spki);
  });
  key.catch(() => {
    key = undefined;
  });
  return key;
}
