/**
 * The four top-level TUF roles' metadata (specification 1.0), as sigil's repository writes them and as
 * go-tuf (cosign, sigstore-go) and tuf-js (@sigstore/tuf) read them: `{signed, signatures}` envelopes whose
 * signatures cover the TUF canonical JSON of `signed`.
 */
import { createHash } from 'node:crypto';
import { tufCanonical } from './canonical.js';
import { type RoleKey, signWith, type TufPublicKey, type TufSignature } from './keys.js';

/** The specification version go-tuf and tuf-js implement; they check only its major number. */
export const SPEC_VERSION = '1.0.31';

export const TOP_LEVEL_ROLES = ['root', 'targets', 'snapshot', 'timestamp'] as const;
export type RoleName = (typeof TOP_LEVEL_ROLES)[number];

interface Common {
  spec_version: string;
  version: number;
  /** RFC 3339, whole seconds, UTC. */
  expires: string;
}

export interface RootSigned extends Common {
  _type: 'root';
  consistent_snapshot: true;
  keys: Record<string, TufPublicKey>;
  roles: Record<RoleName, { keyids: string[]; threshold: number }>;
}

export interface TargetFile {
  length: number;
  hashes: { sha256: string };
}

export interface TargetsSigned extends Common {
  _type: 'targets';
  targets: Record<string, TargetFile>;
}

export interface MetaFile {
  version: number;
  length?: number;
  hashes?: { sha256: string };
}

export interface SnapshotSigned extends Common {
  _type: 'snapshot';
  meta: { 'targets.json': MetaFile };
}

export interface TimestampSigned extends Common {
  _type: 'timestamp';
  meta: { 'snapshot.json': MetaFile };
}

export type Signed = RootSigned | TargetsSigned | SnapshotSigned | TimestampSigned;

export interface Envelope<T extends Signed> {
  signed: T;
  signatures: TufSignature[];
}

export function signEnvelope<T extends Signed>(signed: T, keys: readonly RoleKey[]): Envelope<T> {
  const bytes = tufCanonical(signed);
  return { signed, signatures: keys.map((key) => signWith(key, bytes)) };
}

/** The bytes published: indented JSON (what is signed is the canonical form of `signed`, not these bytes). */
export function envelopeBytes(envelope: Envelope<Signed>): Buffer {
  return Buffer.from(`${JSON.stringify(envelope, null, 2)}\n`, 'utf8');
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A date as TUF's `expires`: RFC 3339 in UTC without fractional seconds. */
export function expiresAt(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

export function rootSigned(
  version: number,
  expires: Date,
  roleKeys: Record<RoleName, readonly RoleKey[]>,
): RootSigned {
  const keys: Record<string, TufPublicKey> = {};
  for (const role of TOP_LEVEL_ROLES) for (const key of roleKeys[role]) keys[key.id] = key.public;
  const role = (name: RoleName) => ({ keyids: roleKeys[name].map((key) => key.id), threshold: 1 });
  return {
    _type: 'root',
    spec_version: SPEC_VERSION,
    version,
    expires: expiresAt(expires),
    consistent_snapshot: true,
    keys,
    roles: {
      root: role('root'),
      targets: role('targets'),
      snapshot: role('snapshot'),
      timestamp: role('timestamp'),
    },
  };
}
