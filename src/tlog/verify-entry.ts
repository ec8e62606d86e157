/**
 * Checking a log entry offline against the log's public key: the SignedEntryTimestamp over
 * {body, integratedTime, logID, logIndex}, the inclusion proof against the checkpoint's root, and the
 * checkpoint's signature. What the body claims (which signature, key and digest) is the caller's check.
 */
import type { KeyObject } from 'node:crypto';
import { canonicalJson, SigilError, sha256 } from '../core/index.js';
import { verifySignature } from '../crypto/index.js';
import type { TrustedLogKey } from '../verify/index.js';
import { verifyCheckpoint } from './checkpoint.js';
import type { RekorEntry } from './log.js';
import { leafHash, verifyInclusion } from './merkle.js';

export interface TrustedLog {
  publicKey: KeyObject;
}

// A key's log ID is needed several times per entry (choosing the trusted log, the SET, the checkpoint's key
// hint), and re-encoding the key costs more than the lookup: each KeyObject's is worked out once.
const logIds = new WeakMap<KeyObject, Buffer>();

/** The log ID (SHA-256 of the SubjectPublicKeyInfo DER) of the log that signs with `publicKey`; do not modify it. */
export function logIdOf(publicKey: KeyObject): Buffer {
  let id = logIds.get(publicKey);
  if (!id) {
    id = sha256(publicKey.export({ type: 'spki', format: 'der' }));
    logIds.set(publicKey, id);
  }
  return id;
}

/**
 * The trusted log an entry names by its log ID, provided it was trusted when the entry was integrated; its
 * key then checks the entry's promise and proof.
 */
export function trustedLogOf(
  logs: readonly TrustedLogKey[],
  entry: Pick<EntryPromise, 'logID' | 'integratedTime'>,
): TrustedLog {
  const log = logs.find((candidate) => logIdOf(candidate.publicKey).toString('hex') === entry.logID);
  if (!log) {
    const trusted = logs.map((l) => logIdOf(l.publicKey).toString('hex')).join(', ');
    mismatch(`entry is from log ${entry.logID}, not the trusted log ${trusted}`);
  }
  const at = entry.integratedTime * 1000;
  const period = log.validFor;
  if (period && (at < period.start.getTime() || (period.end !== undefined && at > period.end.getTime()))) {
    mismatch(
      `entry was integrated at ${new Date(at).toISOString()}, outside the period log ${entry.logID} is trusted for`,
    );
  }
  return log;
}

function mismatch(why: string): never {
  throw new SigilError('TLOG_ENTRY_MISMATCH', `transparency log entry rejected: ${why}`);
}

export interface EntryPromise {
  body: string;
  integratedTime: number;
  logIndex: number;
  logID: string;
}

/** The log's promise (SET) over {body, integratedTime, logID, logIndex}, as cosign's bundle annotation carries it. */
export function verifySignedEntryTimestamp(entry: EntryPromise, set: string, log: TrustedLog): void {
  const logId = logIdOf(log.publicKey).toString('hex');
  if (entry.logID !== logId) mismatch(`entry is from log ${entry.logID}, not the trusted log ${logId}`);
  const promise = canonicalJson({
    body: entry.body,
    integratedTime: entry.integratedTime,
    logID: entry.logID,
    logIndex: entry.logIndex,
  });
  if (!verifySignature(log.publicKey, Buffer.from(promise), Buffer.from(set, 'base64'))) {
    mismatch('the signed entry timestamp does not verify with the log key');
  }
}

/** Throws TLOG_ENTRY_MISMATCH naming the first check that fails. */
export function verifyRekorEntry(entry: RekorEntry, log: TrustedLog): void {
  const logId = logIdOf(log.publicKey);
  verifySignedEntryTimestamp(entry, entry.verification.signedEntryTimestamp, log);
  const proof = entry.verification.inclusionProof;
  if (proof.logIndex !== entry.logIndex)
    mismatch(`inclusion proof is for index ${proof.logIndex}, entry is ${entry.logIndex}`);
  const name = /^(\S+) - /.exec(proof.checkpoint)?.[1] ?? '';
  const checkpoint = verifyCheckpoint(proof.checkpoint, {
    name,
    keyHint: logId.subarray(0, 4),
    publicKey: log.publicKey,
  });
  if (checkpoint.size !== proof.treeSize || checkpoint.rootHash.toString('hex') !== proof.rootHash) {
    mismatch('inclusion proof does not match its checkpoint');
  }
  verifyInclusion(
    leafHash(Buffer.from(entry.body, 'base64')),
    entry.logIndex,
    proof.treeSize,
    proof.hashes.map((h) => Buffer.from(h, 'hex')),
    checkpoint.rootHash,
  );
}
