/** ECDSA P-256 signatures per second through a PKCS#11 token (SoftHSM2), against the same key kind in process. */
import { generateKeyPair, keySigner, pkcs11Signer } from '../src/crypto/index.js';
// The throwaway-token helper the PKCS#11 tests use; a benchmark needs the same disposable token.
import { createSoftToken, generateTokenKey, softhsmAvailable } from '../test/helpers/softhsm.js';
import { formatTiming, measure } from './stats.js';

const COUNT = 2000;

export async function benchPkcs11(): Promise<void> {
  console.log('\n# PKCS#11 signing (SoftHSM2 token, ECDSA P-256 over SHA-256)');
  if (!softhsmAvailable) {
    console.log('skipped: softhsm2 is not installed');
    return;
  }
  const token = createSoftToken('bench');
  generateTokenKey(token, 'bench-key', Buffer.from([1]));
  const signer = pkcs11Signer(token.uri('bench-key'));
  const data = Buffer.from('benchmark payload');
  try {
    console.log(formatTiming('PKCS#11 token signatures', await measure(COUNT, () => signer.sign(data))));
  } finally {
    signer.close();
  }
  const inProcess = keySigner(generateKeyPair('ecdsa-p256').privateKey);
  console.log(
    formatTiming(
      'in-process key signatures (for comparison)',
      await measure(COUNT, () => inProcess.sign(data)),
    ),
  );
}
