/**
 * The CA's certificate-transparency log: an RFC 6962 personality on the transparency-log engine. Each
 * submitted (pre)certificate becomes a `MerkleTreeLeaf` appended by the same batching sequencer and
 * storage as the Rekor log, so it is durable before its SCT is returned (the merge delay is zero) and a
 * crash leaves a consistent tree. Monitors read it with the RFC 6962 read API (get-sth, proofs, entries).
 */
import { type KeyObject, X509Certificate } from 'node:crypto';
import { BoundedMap, canonicalJson, isRecord, parseJson, SigilError, sha256 } from '../core/index.js';
import {
  consistencyProof,
  type EntrySequencer,
  inclusionProof,
  isIntegrating,
  type LogKey,
  type LogStorage,
  leafHash,
  logKeyFrom,
  type ReplicationOptions,
  SqliteLogStorage,
  startEntrySequencer,
} from '../tlog/index.js';
import {
  CT_ENTRY_TYPE,
  type CtEntryType,
  chainEntry,
  digitallySigned,
  merkleTreeLeaf,
  serializeSct,
  treeHeadSignatureInput,
} from './ct-encoding.js';
import type { CaMaterial } from './material.js';
import { precertificateTbs } from './precertificate.js';

/** What the CA needs of a CT log: the serialized SCT for a precertificate chain, once it is logged. */
export interface CtSubmitter {
  submitPrecertificate(chain: readonly Buffer[]): Promise<Buffer>;
}

export interface SignedCertificateTimestamp {
  logId: Buffer;
  timestampMs: number;
  /** DER ECDSA signature over the entry's `MerkleTreeLeaf` bytes. */
  signature: Buffer;
}

export interface SignedTreeHead {
  treeSize: number;
  timestampMs: number;
  rootHash: Buffer;
  /** A TLS `digitally-signed` struct. */
  signature: Buffer;
}

/** One logged entry as get-entries returns it. */
export interface CtLogEntry {
  leafInput: Buffer;
  extraData: Buffer;
}

export interface CtLogOptions {
  /** Certificates whose chains the log accepts (the CA's root). */
  roots: readonly X509Certificate[];
  intervalMs?: number;
  /** On PostgreSQL, where several CA replicas share the log: lease and polling periods. */
  replication?: ReplicationOptions;
}

/** RFC 6962 leaves a page size to the log; this one matches common CT front ends. */
export const MAX_ENTRIES_PER_REQUEST = 1000;

/** Distinct verified chain tails kept; a CA has one (two while its intermediate is rolled). */
const MAX_VERIFIED_TAILS = 16;

export class CtLog implements CtSubmitter {
  /** Chains above chain[0] already found to lead to an accepted root, by the SHA-256 of their DER. */
  private readonly verifiedTails = new BoundedMap<string, VerifiedIssuer>(MAX_VERIFIED_TAILS);

  private constructor(
    private readonly storage: LogStorage,
    private readonly key: LogKey,
    private readonly sequencer: EntrySequencer,
    readonly roots: readonly X509Certificate[],
  ) {}

  static async open(storage: LogStorage, key: LogKey, options: CtLogOptions): Promise<CtLog> {
    // The engine signs checkpoints as notes too; a CT log publishes STHs, so the note's name is internal.
    // On PostgreSQL any number of CA replicas share this log: one integrates under the lease, the others
    // file their precertificates for it, and every SCT still waits for its entry to be durable.
    const sequencer = await startEntrySequencer(
      storage,
      key,
      {
        origin: `sigil-ct - ${await storage.treeId()}`,
        signerName: 'sigil-ct',
        batchSize: 256,
        intervalMs: options.intervalMs ?? 5,
        // An SCT is the CT log's promise, signed per submission; the engine's Rekor-style SETs go unused.
        entryTimestamps: false,
      },
      options.replication,
    );
    return new CtLog(storage, key, sequencer, options.roots);
  }

  get publicKey(): KeyObject {
    return this.key.publicKey;
  }

  /** Entries in the tree of the latest checkpoint. */
  async treeSize(): Promise<number> {
    return (await this.sequencer.latestCheckpoint()).size;
  }

  /** Whether this process integrates the log's entries (on PostgreSQL: while it holds the lease). */
  get integrating(): boolean {
    return isIntegrating(this.sequencer);
  }

  get logId(): Buffer {
    return this.key.logId;
  }

  async submitPrecertificate(chain: readonly Buffer[]): Promise<Buffer> {
    const sct = await this.addPreChain(chain);
    return serializeSct(sct.logId, sct.timestampMs, sct.signature);
  }

  /** `add-pre-chain`: chain[0] is a precertificate, then its issuer and the rest up to an accepted root. */
  addPreChain(chain: readonly Buffer[]): Promise<SignedCertificateTimestamp> {
    return this.add(CT_ENTRY_TYPE.precert, chain);
  }

  /** `add-chain`: chain[0] is a final certificate. */
  addChain(chain: readonly Buffer[]): Promise<SignedCertificateTimestamp> {
    return this.add(CT_ENTRY_TYPE.x509, chain);
  }

  async signedTreeHead(): Promise<SignedTreeHead> {
    const { size, rootHash } = await this.sequencer.latestCheckpoint();
    const timestampMs = Date.now();
    const signature = await this.key.signer.sign(treeHeadSignatureInput(timestampMs, size, rootHash));
    return { treeSize: size, timestampMs, rootHash, signature: digitallySigned(signature) };
  }

  async proofByHash(hash: Buffer, treeSize: number): Promise<{ leafIndex: number; auditPath: Buffer[] }> {
    await this.checkTreeSize(treeSize, 'tree_size');
    const entry = await this.storage.entryByLeafHash(hash);
    if (!entry || entry.index >= treeSize) {
      throw new SigilError(
        'NOT_FOUND',
        `no entry with leaf hash ${hash.toString('base64')} in the first ${treeSize}`,
      );
    }
    return { leafIndex: entry.index, auditPath: await inclusionProof(entry.index, treeSize, this.storage) };
  }

  async consistency(first: number, second: number): Promise<Buffer[]> {
    await this.checkTreeSize(second, 'second');
    if (first > second)
      throw new SigilError('BAD_INPUT', `first (${first}) is greater than second (${second})`);
    return consistencyProof(first, second, this.storage);
  }

  /** Entries `start` to `end` inclusive, at most MAX_ENTRIES_PER_REQUEST, as RFC 6962 4.6 pages them. */
  async entries(start: number, end: number): Promise<CtLogEntry[]> {
    const size = await this.treeSize();
    if (start < 0 || end < start)
      throw new SigilError('BAD_INPUT', `invalid range start=${start} end=${end}`);
    if (start >= size) throw new SigilError('BAD_INPUT', `start ${start} is beyond the tree size ${size}`);
    const last = Math.min(end, size - 1, start + MAX_ENTRIES_PER_REQUEST - 1);
    const out: CtLogEntry[] = [];
    for (let index = start; index <= last; index++) {
      const entry = await this.storage.entryByIndex(index);
      if (!entry) throw new SigilError('IO_ERROR', `the CT log store is missing entry ${index}`);
      out.push(storedEntry(entry.body));
    }
    return out;
  }

  async close(): Promise<void> {
    await this.sequencer.drain();
    await this.sequencer.close();
    await this.storage.close();
  }

  private async add(entryType: CtEntryType, chain: readonly Buffer[]): Promise<SignedCertificateTimestamp> {
    const issuer = this.verifiedIssuer(chain);
    const [submitted] = chain as [Buffer, ...Buffer[]];
    const timestampMs = Date.now();
    const leaf = merkleTreeLeaf(
      entryType === CT_ENTRY_TYPE.precert
        ? {
            timestampMs,
            entryType,
            certificate: precertificateTbs(submitted),
            issuerKeyHash: issuer.keyHash,
          }
        : { timestampMs, entryType, certificate: submitted },
    );
    const extraData =
      entryType === CT_ENTRY_TYPE.precert
        ? chainEntry(submitted, chain.slice(1))
        : chainEntry(undefined, chain.slice(1));
    const body = Buffer.from(
      canonicalJson({ extra_data: extraData.toString('base64'), leaf_input: leaf.toString('base64') }),
    );
    // Acknowledged only once the batch holding the leaf is committed: an SCT is a promise the log keeps.
    await this.sequencer.submit({
      kind: 'ct',
      apiVersion: '1',
      body,
      leafHash: leafHash(leaf),
      indexKeys: [],
    });
    return { logId: this.key.logId, timestampMs, signature: await this.key.signer.sign(leaf) };
  }

  /**
   * Checks each link of the chain and that it ends at an accepted root; returns chain[0]'s issuer. The
   * part above chain[0] is the same for every certificate of one CA, so once it is found to lead to a root
   * its result is kept (keyed by its exact bytes, the roots being fixed): chain[0]'s own link is verified
   * every time.
   */
  private verifiedIssuer(chain: readonly Buffer[]): VerifiedIssuer {
    if (chain.length === 0) throw new SigilError('BAD_INPUT', 'the chain is empty');
    const submitted = parseCertificate(chain[0] as Buffer, 0);
    if (chain.length === 1) {
      // A lone certificate: the accepted root that issued it is its issuer.
      const [, root] = this.verifiedPath([submitted]);
      if (!root) throw new SigilError('BAD_CERTIFICATE', 'a root certificate cannot be logged');
      return issuerWithKeyHash(root);
    }
    const tail = chain.slice(1);
    // Each certificate's own digest, so that two chains whose bytes merely concatenate alike never share a key.
    const key = tail.map((der) => sha256(der).toString('hex')).join(':');
    let issuer = this.verifiedTails.get(key);
    if (!issuer) {
      const [first] = this.verifiedPath(
        tail.map((der, i) => parseCertificate(der, i + 1)),
        1,
      );
      issuer = issuerWithKeyHash(first as X509Certificate);
      this.verifiedTails.set(key, issuer);
    }
    if (!issuedBy(submitted, issuer.certificate, issuer.publicKey)) {
      throw new SigilError('BAD_CERTIFICATE', 'chain[0] is not signed by chain[1]');
    }
    return issuer;
  }

  /** `chain` (starting at chain[`offset`]) with the accepted root it leads to, each link verified. */
  private verifiedPath(chain: X509Certificate[], offset = 0): X509Certificate[] {
    const path = [...chain];
    const top = path[path.length - 1] as X509Certificate;
    if (!this.roots.some((root) => root.raw.equals(top.raw))) {
      const root = this.roots.find((candidate) => issuedBy(top, candidate));
      if (!root)
        throw new SigilError('BAD_CERTIFICATE', 'the chain does not lead to a root this CT log accepts');
      path.push(root);
    }
    for (let i = 0; i + 1 < path.length; i++) {
      if (!issuedBy(path[i] as X509Certificate, path[i + 1] as X509Certificate)) {
        throw new SigilError(
          'BAD_CERTIFICATE',
          `chain[${i + offset}] is not signed by chain[${i + offset + 1}]`,
        );
      }
    }
    return path;
  }

  private async checkTreeSize(size: number, name: string): Promise<void> {
    const latest = await this.treeSize();
    if (!Number.isSafeInteger(size) || size < 1 || size > latest) {
      throw new SigilError('BAD_INPUT', `${name} ${size} is not between 1 and the tree size ${latest}`);
    }
  }
}

/**
 * The CT log a CA runs itself, signed with the CA's CT log key and accepting its root: SQLite at `path`
 * for one CA process, or `storage` shared by CA replicas (PostgreSQL).
 */
export function embeddedCtLog(
  path: string,
  material: CaMaterial,
  storage: LogStorage = new SqliteLogStorage(path),
): Promise<CtLog> {
  const root = material.chain[material.chain.length - 1];
  if (!root) throw new SigilError('BAD_CERTIFICATE', 'the CA has no root certificate');
  return CtLog.open(storage, logKeyFrom(material.ctLogKey), { roots: [root] });
}

function issuedBy(
  certificate: X509Certificate,
  issuer: X509Certificate,
  issuerKey: KeyObject = issuer.publicKey,
): boolean {
  return certificate.checkIssued(issuer) && certificate.verify(issuerKey);
}

function parseCertificate(der: Buffer, index: number): X509Certificate {
  try {
    return new X509Certificate(der);
  } catch {
    throw new SigilError('BAD_CERTIFICATE', `chain[${index}] is not a DER certificate`);
  }
}

/** The issuer of a logged precertificate, with the hash of its key that the log's leaf names. */
interface VerifiedIssuer {
  certificate: X509Certificate;
  /** Parsed once: each `X509Certificate.publicKey` read parses the key again. */
  publicKey: KeyObject;
  keyHash: Buffer;
}

function issuerWithKeyHash(certificate: X509Certificate): VerifiedIssuer {
  const { publicKey } = certificate;
  return { certificate, publicKey, keyHash: sha256(publicKey.export({ type: 'spki', format: 'der' })) };
}

function storedEntry(body: Buffer): CtLogEntry {
  const json = parseJson(body, 'CT log entry');
  if (!isRecord(json) || typeof json.leaf_input !== 'string' || typeof json.extra_data !== 'string') {
    throw new SigilError('IO_ERROR', 'the CT log store holds a malformed entry');
  }
  return {
    leafInput: Buffer.from(json.leaf_input, 'base64'),
    extraData: Buffer.from(json.extra_data, 'base64'),
  };
}
