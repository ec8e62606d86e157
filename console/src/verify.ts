/**
 * Checking a log entry in the browser, trusting nothing the server says about it: the leaf hash of the
 * body (RFC 6962), the inclusion proof up to a root (RFC 9162 §2.1.3.2), that root against the signed
 * checkpoint (C2SP signed note, the log's key, WebCrypto ECDSA P-256/P-384 or Ed25519), and the
 * SignedEntryTimestamp when the entry has one (Rekor v1). The outcome is one line: verified, or not
 * verified and why (the first check that failed).
 */
import { concat, equal, fromBase64, fromHex, fromUtf8, sha256, toHex, utf8 } from './bytes.js';
import { children, ecdsaDerToRaw, oidText, readDer } from './der.js';

export interface RekorEntry {
  body: string;
  integratedTime: number;
  logID: string;
  logIndex: number;
  verification?: {
    inclusionProof?: {
      checkpoint: string;
      hashes: string[];
      logIndex: number;
      rootHash: string;
      treeSize: number;
    };
    signedEntryTimestamp?: string;
  };
}

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface Verification {
  verified: boolean;
  /** "verified" or "not verified: <why>". */
  line: string;
  checks: Check[];
}

/** The log's public key, imported for WebCrypto from its SubjectPublicKeyInfo. */
export interface LogKey {
  key: Awaited<ReturnType<typeof crypto.subtle.importKey>>;
  /** SHA-256 of the SPKI DER: the log ID; its first four bytes are the checkpoint key hint. */
  logId: Uint8Array;
  algorithm: 'ECDSA P-256' | 'ECDSA P-384' | 'Ed25519';
}

const CURVES: Record<string, { name: 'P-256' | 'P-384'; size: number; hash: string }> = {
  '1.2.840.10045.3.1.7': { name: 'P-256', size: 32, hash: 'SHA-256' },
  '1.3.132.0.34': { name: 'P-384', size: 48, hash: 'SHA-384' },
};

export async function importLogKey(spki: Uint8Array): Promise<LogKey> {
  const [algorithm] = children(readDer(spki));
  if (!algorithm) throw new Error('the log key is not a SubjectPublicKeyInfo');
  const [oid, parameter] = children(algorithm);
  const type = oidText(oid?.value ?? new Uint8Array());
  const logId = await sha256(spki);
  if (type === '1.3.101.112') {
    return {
      key: await crypto.subtle.importKey(
        'spki',
        spki as Uint8Array<ArrayBuffer>,
        { name: 'Ed25519' },
        false,
        ['verify'],
      ),
      logId,
      algorithm: 'Ed25519',
    };
  }
  const curve = type === '1.2.840.10045.2.1' && parameter ? CURVES[oidText(parameter.value)] : undefined;
  if (!curve) throw new Error(`the log key's algorithm ${type} is not ECDSA P-256/P-384 or Ed25519`);
  const key = await crypto.subtle.importKey(
    'spki',
    spki as Uint8Array<ArrayBuffer>,
    { name: 'ECDSA', namedCurve: curve.name },
    false,
    ['verify'],
  );
  return { key, logId, algorithm: `ECDSA ${curve.name}` };
}

/** Verifies a signature by the log key: DER ECDSA (converted to r‖s for WebCrypto) or Ed25519. */
export async function verifyWithLogKey(
  log: LogKey,
  signature: Uint8Array,
  data: Uint8Array,
): Promise<boolean> {
  try {
    if (log.algorithm === 'Ed25519')
      return await crypto.subtle.verify(
        'Ed25519',
        log.key,
        signature as Uint8Array<ArrayBuffer>,
        data as Uint8Array<ArrayBuffer>,
      );
    const curve = log.algorithm === 'ECDSA P-256' ? CURVES['1.2.840.10045.3.1.7'] : CURVES['1.3.132.0.34'];
    const raw = ecdsaDerToRaw(signature, curve?.size ?? 32);
    return await crypto.subtle.verify(
      { name: 'ECDSA', hash: curve?.hash ?? 'SHA-256' },
      log.key,
      raw as Uint8Array<ArrayBuffer>,
      data as Uint8Array<ArrayBuffer>,
    );
  } catch {
    return false;
  }
}

async function nodeHash(left: Uint8Array, right: Uint8Array): Promise<Uint8Array> {
  return sha256(concat(new Uint8Array([1]), left, right));
}

export async function leafHash(body: Uint8Array): Promise<Uint8Array> {
  return sha256(concat(new Uint8Array([0]), body));
}

/** The root an inclusion proof leads to (RFC 9162 §2.1.3.2), or why it cannot lead anywhere. */
export async function rootFromInclusionProof(
  index: number,
  size: number,
  leaf: Uint8Array,
  proof: Uint8Array[],
): Promise<Uint8Array> {
  if (index < 0 || index >= size) throw new Error(`log index ${index} is outside a tree of size ${size}`);
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) throw new Error('the inclusion proof is longer than the tree is deep');
    if (fn % 2 === 1 || fn === sn) {
      r = await nodeHash(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) throw new Error('the inclusion proof is shorter than the tree is deep');
  return r;
}

export interface SignedCheckpoint {
  origin: string;
  size: number;
  root: Uint8Array;
  signatures: { name: string; keyHint: Uint8Array; signature: Uint8Array }[];
  /** The signed text: the note's body. */
  body: string;
}

export function parseCheckpoint(note: string): SignedCheckpoint {
  const split = note.indexOf('\n\n');
  if (split === -1) throw new Error('the checkpoint has no blank line before its signatures');
  const body = note.slice(0, split + 1);
  const [origin, sizeText, rootText] = body.split('\n');
  if (!origin || !sizeText || !rootText || !/^(0|[1-9][0-9]*)$/.test(sizeText))
    throw new Error('the checkpoint body is not origin, size and root hash');
  const signatures = note
    .slice(split + 2)
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const match = /^\u2014 (\S+) ([A-Za-z0-9+/]+={0,2})$/.exec(line);
      if (!match) throw new Error(`malformed checkpoint signature line "${line.slice(0, 40)}"`);
      const bytes = fromBase64(match[2] as string);
      return { name: match[1] as string, keyHint: bytes.subarray(0, 4), signature: bytes.subarray(4) };
    });
  return { origin, size: Number(sizeText), root: fromBase64(rootText), signatures, body };
}

/** Verifies the checkpoint's signature by the log key; returns the matching signer's name. */
export async function verifyCheckpointSignature(checkpoint: SignedCheckpoint, log: LogKey): Promise<string> {
  const hint = log.logId.subarray(0, 4);
  const candidates = checkpoint.signatures.filter((s) => equal(s.keyHint, hint));
  if (candidates.length === 0)
    throw new Error(`the checkpoint has no signature by the log's key (key hint ${toHex(hint)})`);
  for (const s of candidates) {
    if (await verifyWithLogKey(log, s.signature, utf8(checkpoint.body))) return s.name;
  }
  throw new Error("the checkpoint's signature does not verify with the log's key");
}

/** Everything the entry page says about one entry; `uuid` is what was asked for. */
export async function verifyEntry(uuid: string, entry: RekorEntry, log: LogKey): Promise<Verification> {
  const checks: Check[] = [];
  const fail = (name: string, detail: string): Verification => {
    checks.push({ name, ok: false, detail });
    return { verified: false, line: `not verified: ${detail}`, checks };
  };
  let body: Uint8Array;
  try {
    body = fromBase64(entry.body);
  } catch {
    return fail('entry body', 'the entry body is not base64');
  }
  const leaf = await leafHash(body);
  if (!uuid.toLowerCase().endsWith(toHex(leaf)))
    return fail(
      'leaf hash',
      `the body's leaf hash ${toHex(leaf).slice(0, 16)}… is not the entry's UUID: the body was altered`,
    );
  checks.push({
    name: 'leaf hash',
    ok: true,
    detail: `SHA-256(0x00 ‖ body) = ${toHex(leaf)} is the entry's UUID`,
  });

  const proof = entry.verification?.inclusionProof;
  if (!proof) return fail('inclusion proof', 'the log returned no inclusion proof');
  if (proof.logIndex !== entry.logIndex)
    return fail(
      'inclusion proof',
      `the proof is for index ${proof.logIndex}, the entry is at ${entry.logIndex}`,
    );
  let root: Uint8Array;
  try {
    root = await rootFromInclusionProof(proof.logIndex, proof.treeSize, leaf, proof.hashes.map(fromHex));
  } catch (err) {
    return fail('inclusion proof', (err as Error).message);
  }
  let checkpoint: SignedCheckpoint;
  try {
    checkpoint = parseCheckpoint(proof.checkpoint);
  } catch (err) {
    return fail('checkpoint', (err as Error).message);
  }
  if (checkpoint.size !== proof.treeSize)
    return fail(
      'checkpoint',
      `the checkpoint is for tree size ${checkpoint.size}, the proof for ${proof.treeSize}`,
    );
  if (!equal(root, checkpoint.root))
    return fail(
      'inclusion proof',
      `the inclusion proof leads to root ${toHex(root).slice(0, 16)}…, the signed checkpoint says ${toHex(checkpoint.root).slice(0, 16)}…: the entry or the proof was altered`,
    );
  checks.push({
    name: 'inclusion proof',
    ok: true,
    detail: `${proof.hashes.length} hashes lead from the leaf to the root of the tree of size ${proof.treeSize}`,
  });
  try {
    const signer = await verifyCheckpointSignature(checkpoint, log);
    checks.push({
      name: 'checkpoint signature',
      ok: true,
      detail: `signed by ${signer} with the log's ${log.algorithm} key`,
    });
  } catch (err) {
    return fail('checkpoint signature', (err as Error).message);
  }
  const set = entry.verification?.signedEntryTimestamp;
  if (set) {
    if (entry.logID !== toHex(log.logId))
      return fail(
        'signed entry timestamp',
        `the entry names log ${entry.logID.slice(0, 16)}…, not this log's key`,
      );
    // Canonical JSON (RFC 8785) of these four fields: sorted keys, no spaces; the values need no escaping.
    const promise = JSON.stringify({
      body: entry.body,
      integratedTime: entry.integratedTime,
      logID: entry.logID,
      logIndex: entry.logIndex,
    });
    if (!(await verifyWithLogKey(log, fromBase64(set), utf8(promise))))
      return fail('signed entry timestamp', "the SignedEntryTimestamp does not verify with the log's key");
    checks.push({
      name: 'signed entry timestamp',
      ok: true,
      detail: `the log promised index ${entry.logIndex} at ${new Date(entry.integratedTime * 1000).toISOString()}`,
    });
  }
  return { verified: true, line: 'verified', checks };
}

/** The decoded JSON of an entry body, for display. */
export function entryBodyJson(entry: RekorEntry): unknown {
  return JSON.parse(fromUtf8(fromBase64(entry.body)));
}

/** Whether the tree of `second` leaves extends the one of `first` (RFC 9162 §2.1.4.2); throws why not. */
export async function verifyConsistency(
  first: number,
  second: number,
  firstRoot: Uint8Array,
  secondRoot: Uint8Array,
  proof: Uint8Array[],
): Promise<void> {
  if (first > second) throw new Error(`size ${first} is larger than ${second}`);
  if (first === second) {
    if (proof.length > 0 || !equal(firstRoot, secondRoot))
      throw new Error('equal sizes with different roots');
    return;
  }
  if (first === 0) return;
  const path = (first & (first - 1)) === 0 ? [firstRoot, ...proof] : proof;
  let fn = first - 1;
  let sn = second - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (path.length === 0) throw new Error('empty consistency proof');
  let fr = path[0] as Uint8Array;
  let sr = fr;
  for (const c of path.slice(1)) {
    if (sn === 0) throw new Error('the consistency proof is too long');
    if (fn % 2 === 1 || fn === sn) {
      fr = await nodeHash(c, fr);
      sr = await nodeHash(c, sr);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      sr = await nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) throw new Error('the consistency proof is too short');
  if (!equal(fr, firstRoot)) throw new Error(`the proof does not lead to the root of size ${first}`);
  if (!equal(sr, secondRoot)) throw new Error(`the proof does not lead to the root of size ${second}`);
}
