/** Proposed log entries for tests: a hashedrekord over `data`, signed with `privateKey`. */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { keySigner } from '../../src/crypto/index.js';
import { type HashedRekordProposal, hashedRekordProposal } from '../../src/tlog/index.js';

export async function signedHashedRekord(
  privateKey: KeyObject,
  data: string | Buffer,
): Promise<HashedRekordProposal> {
  const bytes = Buffer.from(data);
  return hashedRekordProposal(bytes, await keySigner(privateKey).sign(bytes), createPublicKey(privateKey));
}
