/** Proposed log entries for tests: a hashedrekord over `data`, signed with `privateKey`. */
import type { KeyObject } from 'node:crypto';
import { keySigner, verifierPem } from '../../src/crypto/index.js';
import { type HashedRekordProposal, hashedRekordProposal } from '../../src/tlog/index.js';

export async function signedHashedRekord(
  privateKey: KeyObject,
  data: string | Buffer,
): Promise<HashedRekordProposal> {
  const bytes = Buffer.from(data);
  const signer = keySigner(privateKey);
  return hashedRekordProposal(bytes, await signer.sign(bytes), verifierPem(signer));
}
