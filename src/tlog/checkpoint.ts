/**
 * Checkpoints as C2SP signed notes (tlog-checkpoint, signed-note): `origin\nsize\nbase64(root)\n`, a blank
 * line, then `— <name> base64(keyHint‖signature)` lines. Rekor v1 names the key by the first four bytes of
 * its log ID (SHA-256 of the public key) and signs with ECDSA; that is the form @sigstore/verify checks.
 */
import type { KeyObject } from 'node:crypto';
import { SigilError } from '../core/index.js';
import { verifySignature } from '../crypto/index.js';

export interface Checkpoint {
  origin: string;
  size: number;
  rootHash: Buffer;
  /** Extra body lines after the root, as the spec allows. */
  extensions: string[];
}

export interface NoteSigner {
  name: string;
  keyHint: Buffer;
  sign(data: Buffer): Promise<Buffer>;
}

export interface NoteVerifier {
  name: string;
  keyHint: Buffer;
  publicKey: KeyObject;
}

const SIGNATURE_LINE = /^\u2014 (\S+) ([A-Za-z0-9+/]+={0,2})$/;

export function checkpointBody(checkpoint: Checkpoint): string {
  const lines = [
    checkpoint.origin,
    String(checkpoint.size),
    checkpoint.rootHash.toString('base64'),
    ...checkpoint.extensions,
  ];
  return `${lines.join('\n')}\n`;
}

export async function signNote(body: string, signer: NoteSigner): Promise<string> {
  const signature = await signer.sign(Buffer.from(body, 'utf8'));
  return `${body}\n\u2014 ${signer.name} ${Buffer.concat([signer.keyHint, signature]).toString('base64')}\n`;
}

function bad(why: string): never {
  throw new SigilError('BAD_INPUT', `checkpoint: ${why}`);
}

/** Verifies a signed checkpoint with a known key and returns its content; fails closed on anything else. */
export function verifyCheckpoint(note: string, verifier: NoteVerifier): Checkpoint {
  const split = note.indexOf('\n\n');
  if (split === -1) bad('no blank line between body and signatures');
  const body = note.slice(0, split + 1);
  const lines = note.slice(split + 2).split('\n');
  if (lines.at(-1) !== '') bad('signatures must end with a newline');
  const signatures = lines.slice(0, -1).map((line) => {
    const match = SIGNATURE_LINE.exec(line);
    if (!match) bad(`malformed signature line "${line.slice(0, 60)}"`);
    const bytes = Buffer.from(match[2] as string, 'base64');
    if (bytes.length < 5) bad('signature too short');
    return { name: match[1] as string, keyHint: bytes.subarray(0, 4), signature: bytes.subarray(4) };
  });
  const verified = signatures.some(
    (s) =>
      s.name === verifier.name &&
      s.keyHint.equals(verifier.keyHint) &&
      verifySignature(verifier.publicKey, Buffer.from(body, 'utf8'), s.signature),
  );
  if (!verified) {
    throw new SigilError(
      'TLOG_ENTRY_MISMATCH',
      `checkpoint: no valid signature by ${verifier.name} (key ${verifier.keyHint.toString('hex')})`,
    );
  }
  return parseCheckpointBody(body);
}

export function parseCheckpointBody(body: string): Checkpoint {
  const lines = body.split('\n');
  if (lines.length < 4 || lines.at(-1) !== '') bad('body needs origin, size and root hash lines');
  const [origin, sizeText, rootText] = lines as [string, string, string];
  if (origin === '') bad('empty origin');
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText)))
    bad(`invalid tree size "${sizeText}"`);
  const rootHash = Buffer.from(rootText, 'base64');
  if (rootHash.length !== 32 || rootHash.toString('base64') !== rootText)
    bad('root hash is not base64 of 32 bytes');
  return { origin, size: Number(sizeText), rootHash, extensions: lines.slice(3, -1) };
}
