/**
 * RFC 6962 structures in their TLS encoding: the Merkle tree leaf of a (pre)certificate, the data an SCT
 * and a signed tree head sign, the serialized SCT, and the SCT list extension of the final certificate.
 * One leaf encoding serves the log (leaf hash), the SCT (signed data) and monitors (get-entries): RFC 6962
 * lays out `MerkleTreeLeaf` and the SCT's signed struct byte for byte alike, both fields before the
 * timestamp being 0.
 */
import { derLength, SigilError } from '../core/index.js';

export const CT_ENTRY_TYPE = { x509: 0, precert: 1 } as const;
export type CtEntryType = (typeof CT_ENTRY_TYPE)[keyof typeof CT_ENTRY_TYPE];

const VERSION_V1 = 0;
const LEAF_TIMESTAMPED_ENTRY = 0;
const SIGNATURE_TYPE_TREE_HASH = 1;
const HASH_SHA256 = 4;
const SIGNATURE_ECDSA = 3;

/** What a log entry says: when, and which certificate (an X.509 cert, or a precert's issuer + TBS). */
export interface CtTimestampedEntry {
  timestampMs: number;
  entryType: CtEntryType;
  /** x509: the DER certificate; precert: the TBS without the poison extension. */
  certificate: Buffer;
  /** precert only: SHA-256 of the issuer's DER SubjectPublicKeyInfo. */
  issuerKeyHash?: Buffer;
  /** The SCT's CT extensions (none in the leaves this log writes). */
  extensions?: Buffer;
}

/** `MerkleTreeLeaf` (RFC 6962 3.4): its hash is the tree's leaf hash; its bytes are the SCT's signed data. */
export function merkleTreeLeaf(entry: CtTimestampedEntry): Buffer {
  const signedEntry =
    entry.entryType === CT_ENTRY_TYPE.precert
      ? Buffer.concat([entry.issuerKeyHash ?? Buffer.alloc(0), vector(entry.certificate, 3)])
      : vector(entry.certificate, 3);
  return Buffer.concat([
    Buffer.from([VERSION_V1, LEAF_TIMESTAMPED_ENTRY]),
    uint64(entry.timestampMs),
    uint(entry.entryType, 2),
    signedEntry,
    vector(entry.extensions ?? Buffer.alloc(0), 2),
  ]);
}

/** Reads a `MerkleTreeLeaf` back (for get-entries clients and tests); throws on anything malformed. */
export function parseMerkleTreeLeaf(leaf: Buffer): CtTimestampedEntry {
  const reader = new TlsReader(leaf, 'MerkleTreeLeaf');
  if (reader.uint(1) !== VERSION_V1 || reader.uint(1) !== LEAF_TIMESTAMPED_ENTRY) {
    throw new SigilError('BAD_INPUT', 'MerkleTreeLeaf: not a v1 timestamped entry');
  }
  const timestampMs = reader.uint64();
  const entryType = reader.uint(2);
  if (entryType !== CT_ENTRY_TYPE.x509 && entryType !== CT_ENTRY_TYPE.precert) {
    throw new SigilError('BAD_INPUT', `MerkleTreeLeaf: unknown entry type ${entryType}`);
  }
  const issuerKeyHash = entryType === CT_ENTRY_TYPE.precert ? reader.bytes(32) : undefined;
  const certificate = reader.vector(3);
  reader.vector(2);
  reader.end();
  return { timestampMs, entryType, certificate, ...(issuerKeyHash ? { issuerKeyHash } : {}) };
}

/** The signed data of a signed tree head (RFC 6962 3.5 `TreeHeadSignature`). */
export function treeHeadSignatureInput(timestampMs: number, treeSize: number, rootHash: Buffer): Buffer {
  return Buffer.concat([
    Buffer.from([VERSION_V1, SIGNATURE_TYPE_TREE_HASH]),
    uint64(timestampMs),
    uint64(treeSize),
    rootHash,
  ]);
}

/** A TLS `digitally-signed` struct around an ECDSA-SHA256 DER signature. */
export function digitallySigned(signature: Buffer): Buffer {
  return Buffer.concat([Buffer.from([HASH_SHA256, SIGNATURE_ECDSA]), vector(signature, 2)]);
}

/** Reads a `digitally-signed` struct and returns the signature, refusing anything but ECDSA-SHA256. */
export function parseDigitallySigned(bytes: Buffer, where: string): Buffer {
  const reader = new TlsReader(bytes, where);
  const hash = reader.uint(1);
  const algorithm = reader.uint(1);
  if (hash !== HASH_SHA256 || algorithm !== SIGNATURE_ECDSA) {
    throw new SigilError(
      'BAD_INPUT',
      `${where}: only ECDSA with SHA-256 is supported (hash ${hash}, signature ${algorithm})`,
    );
  }
  const signature = reader.vector(2);
  reader.end();
  return signature;
}

/** One SCT of a certificate's SCT list, as the log serialized it. */
export interface SerializedSct {
  logId: Buffer;
  timestampMs: number;
  extensions: Buffer;
  /** The DER signature inside the `digitally-signed` struct (ECDSA-SHA256 only). */
  signature: Buffer;
}

/** The SCTs of a TLS-encoded `SignedCertificateTimestampList` (the SCT list extension's inner value). */
export function parseSctList(list: Buffer, where: string): SerializedSct[] {
  const outer = new TlsReader(list, where);
  const entries = new TlsReader(outer.vector(2), where);
  outer.end();
  const scts: SerializedSct[] = [];
  while (!entries.done()) {
    const sct = new TlsReader(entries.vector(2), `${where}: SCT ${scts.length + 1}`);
    if (sct.uint(1) !== VERSION_V1)
      throw new SigilError('BAD_INPUT', `${where}: SCT ${scts.length + 1} is not v1`);
    const logId = sct.bytes(32);
    const timestampMs = sct.uint64();
    const extensions = sct.vector(2);
    const rest = sct.bytes(sct.remaining());
    scts.push({
      logId,
      timestampMs,
      extensions,
      signature: parseDigitallySigned(rest, `${where}: SCT ${scts.length + 1}`),
    });
  }
  return scts;
}

/** A serialized v1 SCT (RFC 6962 3.2), as it goes into the certificate's SCT list. */
export function serializeSct(logId: Buffer, timestampMs: number, signature: Buffer): Buffer {
  return Buffer.concat([
    Buffer.from([VERSION_V1]),
    logId,
    uint64(timestampMs),
    uint(0, 2),
    digitallySigned(signature),
  ]);
}

/** The value of the SCT list extension: a DER OCTET STRING around the TLS-encoded list. */
export function sctListExtension(scts: Buffer[]): Buffer {
  const list = Buffer.concat(scts.map((sct) => vector(sct, 2)));
  const tls = vector(list, 2);
  return Buffer.concat([Buffer.from([0x04]), derLength(tls.length), tls]);
}

/** `PrecertChainEntry` / `X509ChainEntry` extra data: the submitted certificate(s), then the chain. */
export function chainEntry(first: Buffer | undefined, chain: readonly Buffer[]): Buffer {
  const list = vector(Buffer.concat(chain.map((cert) => vector(cert, 3))), 3);
  return first ? Buffer.concat([vector(first, 3), list]) : list;
}

function vector(bytes: Buffer, lengthBytes: number): Buffer {
  return Buffer.concat([uint(bytes.length, lengthBytes), bytes]);
}

function uint(value: number, bytes: number): Buffer {
  const out = Buffer.alloc(bytes);
  out.writeUIntBE(value, 0, bytes);
  return out;
}

function uint64(value: number): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigUInt64BE(BigInt(value));
  return out;
}

/** Bounds-checked reads of TLS-encoded data. */
class TlsReader {
  private offset = 0;

  constructor(
    private readonly data: Buffer,
    private readonly where: string,
  ) {}

  uint(bytes: number): number {
    return this.bytes(bytes).readUIntBE(0, bytes);
  }

  uint64(): number {
    return Number(this.bytes(8).readBigUInt64BE());
  }

  vector(lengthBytes: number): Buffer {
    return this.bytes(this.uint(lengthBytes));
  }

  bytes(count: number): Buffer {
    if (this.offset + count > this.data.length) throw new SigilError('BAD_INPUT', `${this.where}: truncated`);
    const out = this.data.subarray(this.offset, this.offset + count);
    this.offset += count;
    return out;
  }

  remaining(): number {
    return this.data.length - this.offset;
  }

  done(): boolean {
    return this.offset === this.data.length;
  }

  end(): void {
    if (!this.done()) throw new SigilError('BAD_INPUT', `${this.where}: trailing bytes`);
  }
}
