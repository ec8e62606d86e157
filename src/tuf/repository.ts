/**
 * A TUF repository on disk, laid out as Sigstore's TUF repositories are and as go-tuf (cosign) and tuf-js
 * (@sigstore/tuf) fetch them with consistent snapshots:
 *
 *   <dir>/repository/   the published tree (serve it, or copy it to a CDN or bucket as it is)
 *     N.root.json, root.json (the newest root), timestamp.json, N.snapshot.json, N.targets.json,
 *     targets/<sha256>.<name>
 *   <dir>/keys/         role keys (PKCS#8 PEM): targets, snapshot, timestamp, and root unless kept offline
 *   <dir>/config.json   expiry periods
 *
 * The state is read back from the published files themselves (timestamp -> snapshot -> targets), so a
 * repository copied or restored from backup carries everything it needs. Files are written leaf first and
 * timestamp.json last, each atomically: a client or a CDN never sees a timestamp naming a missing file.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isRecord, parseJson, SigilError, writeFileAtomic } from '../core/index.js';
import { generateRoleKey, type RoleKey, readRoleKey, type TufKeyType, writeRoleKey } from './keys.js';
import { withLock } from './lock.js';
import {
  type Envelope,
  envelopeBytes,
  expiresAt,
  type RoleName,
  type RootSigned,
  rootSigned,
  type SnapshotSigned,
  SPEC_VERSION,
  sha256Hex,
  signEnvelope,
  type TargetFile,
  type TargetsSigned,
  type TimestampSigned,
} from './metadata.js';

const DAY_MS = 86_400_000;

/** How long each role's metadata is valid after it is signed, in milliseconds. */
export type TufPeriods = Record<RoleName, number>;

/**
 * Root is signed rarely (by hand, when its key is offline); the online roles are re-signed by `refresh`
 * once half their period has gone, so a repository refreshed daily never serves metadata near expiry.
 */
export const DEFAULT_TUF_PERIODS: TufPeriods = {
  root: 365 * DAY_MS,
  targets: 90 * DAY_MS,
  snapshot: 30 * DAY_MS,
  timestamp: 7 * DAY_MS,
};

export const ONLINE_ROLES = ['targets', 'snapshot', 'timestamp'] as const;
export type OnlineRole = (typeof ONLINE_ROLES)[number];

/** Target names sigil publishes: one path segment, so that a name never reaches outside targets/. */
const TARGET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export interface TargetInput {
  name: string;
  bytes: Uint8Array;
}

export interface RefreshReport {
  /** The roles signed anew. */
  resigned: RoleName[];
  /** Set when root is past half its period and no root key was at hand to re-sign it. */
  rootExpires?: string;
}

export class TufRepository {
  private constructor(
    readonly dir: string,
    private readonly periods: TufPeriods,
    private root: Envelope<RootSigned>,
    private targets: Envelope<TargetsSigned>,
    private snapshot: Envelope<SnapshotSigned>,
    private timestamp: Envelope<TimestampSigned>,
  ) {}

  get publishedDir(): string {
    return join(this.dir, 'repository');
  }

  get rootVersion(): number {
    return this.root.signed.version;
  }

  /** Each top-level role's published version and expiry (RFC 3339). */
  get published(): Record<RoleName, { version: number; expires: string }> {
    const of = ({ signed }: { signed: { version: number; expires: string } }) => ({
      version: signed.version,
      expires: signed.expires,
    });
    return {
      root: of(this.root),
      targets: of(this.targets),
      snapshot: of(this.snapshot),
      timestamp: of(this.timestamp),
    };
  }

  get targetNames(): string[] {
    return Object.keys(this.targets.signed.targets);
  }

  static isRepository(dir: string): boolean {
    return existsSync(join(dir, 'repository', 'timestamp.json'));
  }

  /**
   * Creates a repository: new online keys in <dir>/keys, the root key given (kept offline by its owner) or
   * a new one written there too, and version 1 of every role with no targets.
   */
  static async init(
    dir: string,
    options: { rootKey?: RoleKey; keyType?: TufKeyType; periods?: TufPeriods; now?: Date } = {},
  ): Promise<TufRepository> {
    if (TufRepository.isRepository(dir)) {
      throw new SigilError('FILE_EXISTS', `${dir} already holds a TUF repository`);
    }
    const now = options.now ?? new Date();
    const periods = options.periods ?? DEFAULT_TUF_PERIODS;
    mkdirSync(join(dir, 'repository', 'targets'), { recursive: true });
    mkdirSync(join(dir, 'keys'), { recursive: true, mode: 0o700 });
    await writeFileAtomic(join(dir, 'config.json'), `${JSON.stringify({ periodsMs: periods }, null, 2)}\n`);
    const rootKey = options.rootKey ?? generateRoleKey(options.keyType);
    if (!options.rootKey) await writeRoleKey(keyPath(dir, 'root'), rootKey);
    const keys = { root: [rootKey] } as Record<RoleName, RoleKey[]>;
    for (const role of ONLINE_ROLES) {
      keys[role] = [generateRoleKey(options.keyType)];
      await writeRoleKey(keyPath(dir, role), keys[role][0] as RoleKey);
    }
    const root = signEnvelope(rootSigned(1, later(now, periods.root), keys), [rootKey]);
    await writeRoot(dir, root);
    const empty = (type: string) => ({ _type: type, spec_version: SPEC_VERSION, version: 0, expires: '' });
    const repository = new TufRepository(
      dir,
      periods,
      root,
      { signed: { ...empty('targets'), targets: {} } as TargetsSigned, signatures: [] },
      {
        signed: { ...empty('snapshot'), meta: { 'targets.json': { version: 0 } } } as SnapshotSigned,
        signatures: [],
      },
      {
        signed: { ...empty('timestamp'), meta: { 'snapshot.json': { version: 0 } } } as TimestampSigned,
        signatures: [],
      },
    );
    await repository.writeTargets({}, now);
    return repository;
  }

  static open(dir: string): TufRepository {
    if (!TufRepository.isRepository(dir)) {
      throw new SigilError('NOT_FOUND', `${dir} holds no TUF repository`, 'create one with sigil tuf init');
    }
    const config = readJson(join(dir, 'config.json'));
    const periods =
      isRecord(config) && isRecord(config.periodsMs) ? (config.periodsMs as TufPeriods) : undefined;
    const state = readState(dir);
    return new TufRepository(
      dir,
      periods ?? DEFAULT_TUF_PERIODS,
      state.root,
      state.targets,
      state.snapshot,
      state.timestamp,
    );
  }

  /** Runs a change under the repository's lock, from its state on disk then (another writer may have been). */
  private async change<T>(work: () => Promise<T>): Promise<T> {
    return withLock(join(this.dir, 'lock'), async () => {
      Object.assign(this, readState(this.dir));
      return work();
    });
  }

  /**
   * Publishes targets (a key rotation of the log, CA or TSA is a new trusted_root.json: a new version of
   * the target). Returns false, and signs nothing, when every target already has these bytes.
   */
  async publishTargets(files: readonly TargetInput[], now = new Date()): Promise<boolean> {
    return this.change(() => this.writeChangedTargets(files, now));
  }

  private async writeChangedTargets(files: readonly TargetInput[], now: Date): Promise<boolean> {
    const entries = { ...this.targets.signed.targets };
    let changed = false;
    for (const file of files) {
      if (!TARGET_NAME.test(file.name)) {
        throw new SigilError('BAD_INPUT', `TUF target name "${file.name}": letters, digits, . _ - only`);
      }
      const entry: TargetFile = { length: file.bytes.length, hashes: { sha256: sha256Hex(file.bytes) } };
      if (entries[file.name]?.hashes.sha256 === entry.hashes.sha256) continue;
      await writeFileAtomic(
        join(this.publishedDir, 'targets', `${entry.hashes.sha256}.${file.name}`),
        file.bytes,
      );
      entries[file.name] = entry;
      changed = true;
    }
    if (changed) await this.writeTargets(entries, now);
    return changed;
  }

  /**
   * Re-signs each role past half its period: targets (then snapshot and timestamp with it), snapshot,
   * timestamp, and root when its key is given or kept in <dir>/keys.
   */
  async refresh(now = new Date(), rootKey?: RoleKey): Promise<RefreshReport> {
    return this.change(() => this.resignDue(now, rootKey));
  }

  private async resignDue(now: Date, rootKey: RoleKey | undefined): Promise<RefreshReport> {
    const due = (role: RoleName, signed: { expires: string }) =>
      Date.parse(signed.expires) - now.getTime() < this.periods[role] / 2;
    const resigned: RoleName[] = [];
    let rootExpires: string | undefined;
    if (due('root', this.root.signed)) {
      const key = rootKey ?? this.storedRootKey();
      if (key) {
        await this.writeNewRoot({}, key, now);
        resigned.push('root');
      } else {
        rootExpires = this.root.signed.expires;
      }
    }
    if (due('targets', this.targets.signed)) {
      await this.writeTargets(this.targets.signed.targets, now);
      resigned.push('targets', 'snapshot', 'timestamp');
    } else if (due('snapshot', this.snapshot.signed)) {
      await this.writeSnapshot(now);
      resigned.push('snapshot', 'timestamp');
    } else if (due('timestamp', this.timestamp.signed)) {
      await this.writeTimestamp(now);
      resigned.push('timestamp');
    }
    return { resigned, ...(rootExpires ? { rootExpires } : {}) };
  }

  /**
   * A new root version with new keys for the roles given (the others keep theirs), signed by the current
   * root key and, when root's key changes, by the new one too, as clients require of a root update. New
   * online keys replace those in <dir>/keys, and the online roles are re-signed with them.
   */
  async rotateKeys(
    signingRootKey: RoleKey,
    newKeys: Partial<Record<RoleName, RoleKey>>,
    now = new Date(),
  ): Promise<void> {
    await this.change(() => this.writeRotation(signingRootKey, newKeys, now));
  }

  private async writeRotation(
    signingRootKey: RoleKey,
    newKeys: Partial<Record<RoleName, RoleKey>>,
    now: Date,
  ): Promise<void> {
    await this.writeNewRoot(newKeys, signingRootKey, now);
    for (const role of ONLINE_ROLES) {
      const key = newKeys[role];
      if (key) await writeRoleKey(keyPath(this.dir, role), key, { replace: true });
    }
    if (newKeys.root && existsSync(keyPath(this.dir, 'root'))) {
      await writeRoleKey(keyPath(this.dir, 'root'), newKeys.root, { replace: true });
    }
    await this.writeTargets(this.targets.signed.targets, now);
  }

  private async writeNewRoot(
    newKeys: Partial<Record<RoleName, RoleKey>>,
    signingRootKey: RoleKey,
    now: Date,
  ): Promise<void> {
    this.requireRoleKey('root', signingRootKey);
    const keys = {} as Record<RoleName, RoleKey[]>;
    for (const role of ['root', ...ONLINE_ROLES] as const) {
      keys[role] = [newKeys[role] ?? (role === 'root' ? signingRootKey : this.onlineKey(role))];
    }
    const signers = newKeys.root ? [signingRootKey, newKeys.root] : [signingRootKey];
    const signed = rootSigned(this.root.signed.version + 1, later(now, this.periods.root), keys);
    this.root = signEnvelope(signed, signers);
    await writeRoot(this.dir, this.root);
  }

  private async writeTargets(entries: Record<string, TargetFile>, now: Date): Promise<void> {
    const signed: TargetsSigned = {
      _type: 'targets',
      spec_version: SPEC_VERSION,
      version: this.targets.signed.version + 1,
      expires: expiresAt(later(now, this.periods.targets)),
      targets: entries,
    };
    const envelope = signEnvelope(signed, [this.onlineKey('targets')]);
    await writeFileAtomic(join(this.publishedDir, `${signed.version}.targets.json`), envelopeBytes(envelope));
    this.targets = envelope;
    await this.writeSnapshot(now);
  }

  private async writeSnapshot(now: Date): Promise<void> {
    const signed: SnapshotSigned = {
      _type: 'snapshot',
      spec_version: SPEC_VERSION,
      version: this.snapshot.signed.version + 1,
      expires: expiresAt(later(now, this.periods.snapshot)),
      meta: { 'targets.json': { version: this.targets.signed.version } },
    };
    const envelope = signEnvelope(signed, [this.onlineKey('snapshot')]);
    const bytes = envelopeBytes(envelope);
    await writeFileAtomic(join(this.publishedDir, `${signed.version}.snapshot.json`), bytes);
    this.snapshot = envelope;
    await this.writeTimestamp(now, bytes);
  }

  private async writeTimestamp(now: Date, snapshotBytes?: Buffer): Promise<void> {
    const snapshot =
      snapshotBytes ?? readFileSync(join(this.publishedDir, `${this.snapshot.signed.version}.snapshot.json`));
    const signed: TimestampSigned = {
      _type: 'timestamp',
      spec_version: SPEC_VERSION,
      version: this.timestamp.signed.version + 1,
      expires: expiresAt(later(now, this.periods.timestamp)),
      meta: {
        'snapshot.json': {
          version: this.snapshot.signed.version,
          length: snapshot.length,
          hashes: { sha256: sha256Hex(snapshot) },
        },
      },
    };
    const envelope = signEnvelope(signed, [this.onlineKey('timestamp')]);
    await writeFileAtomic(join(this.publishedDir, 'timestamp.json'), envelopeBytes(envelope));
    this.timestamp = envelope;
  }

  private onlineKey(role: OnlineRole): RoleKey {
    const path = keyPath(this.dir, role);
    if (!existsSync(path)) {
      throw new SigilError(
        'NOT_FOUND',
        `the ${role} key ${path} is missing: the repository cannot be re-signed`,
      );
    }
    return this.requireRoleKey(role, readRoleKey(path), path);
  }

  private storedRootKey(): RoleKey | undefined {
    const path = keyPath(this.dir, 'root');
    return existsSync(path) ? readRoleKey(path) : undefined;
  }

  /** A key must be the one root names for its role: signing with another would only make clients refuse. */
  private requireRoleKey(role: RoleName, key: RoleKey, where = 'the given key'): RoleKey {
    if (!this.root.signed.roles[role].keyids.includes(key.id)) {
      throw new SigilError(
        'BAD_KEY',
        `${where} (key id ${key.id.slice(0, 12)}…) is not a ${role} key of root version ${this.root.signed.version}`,
      );
    }
    return key;
  }
}

export function keyPath(dir: string, role: RoleName): string {
  return join(dir, 'keys', `${role}.pem`);
}

async function writeRoot(dir: string, root: Envelope<RootSigned>): Promise<void> {
  const bytes = envelopeBytes(root);
  await writeFileAtomic(join(dir, 'repository', `${root.signed.version}.root.json`), bytes);
  await writeFileAtomic(join(dir, 'repository', 'root.json'), bytes);
}

/** The newest metadata, read back from the published files: timestamp -> snapshot -> targets, and root.json. */
function readState(dir: string) {
  const published = join(dir, 'repository');
  const timestamp = readJson(join(published, 'timestamp.json')) as Envelope<TimestampSigned>;
  const snapshot = readJson(
    join(published, `${timestamp.signed.meta['snapshot.json'].version}.snapshot.json`),
  ) as Envelope<SnapshotSigned>;
  const targets = readJson(
    join(published, `${snapshot.signed.meta['targets.json'].version}.targets.json`),
  ) as Envelope<TargetsSigned>;
  const root = readJson(join(published, 'root.json')) as Envelope<RootSigned>;
  return { root, targets, snapshot, timestamp };
}

function later(now: Date, ms: number): Date {
  return new Date(now.getTime() + ms);
}

function readJson(path: string): unknown {
  const json = parseJson(readFileSync(path), path);
  if (!isRecord(json)) throw new SigilError('BAD_JSON', `${path}: not a JSON object`);
  return json;
}
