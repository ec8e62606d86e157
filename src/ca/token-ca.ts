/**
 * The CA on a PKCS#11 token as Fulcio's pkcs11ca keeps it: the key pair found by its label
 * (`--hsm-key-label`, default PKCS11CA) and the CA certificate stored beside it under the CKA_ID given by
 * `--hsm-caroot-id` (the bytes of that string, as Fulcio reads the flag). `ca init` (Fulcio's createca)
 * certifies the key and stores the certificate; `ca serve` reads both back.
 */
import {
  crypto11Signer,
  crypto11Token,
  type Pkcs11Signer,
  readTokenCertificate,
  storeTokenCertificate,
} from '../crypto/index.js';

export const DEFAULT_HSM_KEY_LABEL = 'PKCS11CA';

export interface TokenCa {
  signer: Pkcs11Signer;
  /** Where the certificate lives, for messages. */
  describe: string;
  certificate(): Buffer | undefined;
  storeCertificate(der: Buffer): void;
}

export function crypto11Ca(configPath: string, rootId: string, keyLabel = DEFAULT_HSM_KEY_LABEL): TokenCa {
  const token = crypto11Token(configPath);
  const id = Buffer.from(rootId, 'utf8');
  const describe = `certificate ID "${rootId}" on the token of ${configPath}`;
  return {
    signer: crypto11Signer(configPath, keyLabel),
    describe,
    certificate: () => readTokenCertificate(token, id, describe),
    storeCertificate: (der) => storeTokenCertificate(token, id, keyLabel, der, describe),
  };
}
