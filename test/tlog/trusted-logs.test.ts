import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { generateKeyPair } from '../../src/crypto/index.js';
import { trustedRootJson } from '../../src/formats/index.js';
import {
  createLogKey,
  SqliteLogStorage,
  TransparencyLog,
  trustedLogOf,
  verifyRekorEntry,
} from '../../src/tlog/index.js';
import { trustedRootLogKeys } from '../../src/verify/index.js';
import { signedHashedRekord } from '../helpers/tlog-entries.js';

/** A logged entry, and the key of the log that logged it. */
async function loggedEntry() {
  const dir = await mkdtemp(join(tmpdir(), 'sigil-trusted-logs-'));
  const key = await createLogKey(join(dir, 'log-key.pem'), 'ecdsa-p256');
  const log = await TransparencyLog.open(new SqliteLogStorage(join(dir, 'log.db')), key, {
    hostname: 'log.example',
    intervalMs: 1,
  });
  const { entry } = await log.add(await signedHashedRekord(generateKeyPair().privateKey, 'x'));
  await log.close();
  return { entry, publicKey: key.publicKey };
}

describe('trusted logs: an entry is checked against the log it names, within its period', () => {
  it('picks the named log among several (a rotated log beside the current one)', async () => {
    const { entry, publicKey } = await loggedEntry();
    const other = { publicKey: generateKeyPair().publicKey };
    const log = trustedLogOf([other, { publicKey }], entry);
    assert.equal(log.publicKey, publicKey);
    verifyRekorEntry(entry, log);
  });

  it('refuses an entry from a log that is not listed', async () => {
    const { entry } = await loggedEntry();
    assert.throws(
      () => trustedLogOf([{ publicKey: generateKeyPair().publicKey }], entry),
      /not the trusted log/,
    );
    assert.throws(() => trustedLogOf([], entry), /not the trusted log/);
  });

  it("refuses an entry integrated outside the log's trusted period, either side", async () => {
    const { entry, publicKey } = await loggedEntry();
    const at = entry.integratedTime * 1000;
    const ended = { start: new Date(0), end: new Date(at - 60_000) };
    const notYet = { start: new Date(at + 60_000) };
    for (const validFor of [ended, notYet]) {
      assert.throws(() => trustedLogOf([{ publicKey, validFor }], entry), /outside the period/);
    }
    trustedLogOf([{ publicKey, validFor: { start: new Date(at - 1000), end: new Date(at + 1000) } }], entry);
  });

  it('takes every log of a trusted root with its validFor, and names a log without a key', async () => {
    const { entry, publicKey } = await loggedEntry();
    const old = generateKeyPair().publicKey;
    const rotatedAt = new Date(entry.integratedTime * 1000 - 3_600_000);
    const root = TrustedRoot.fromJSON(
      trustedRootJson({
        tlogs: [
          { baseUrl: 'https://old.example', publicKey: old, validFrom: new Date(0), validUntil: rotatedAt },
          { baseUrl: 'https://log.example', publicKey, validFrom: rotatedAt },
        ],
        certificateAuthorities: [],
        ctlogs: [],
        timestampAuthorities: [],
      }),
    );
    const logs = trustedRootLogKeys(root, 'root.json');
    assert.equal(logs.length, 2);
    assert.deepEqual(logs[0]?.validFor, { start: new Date(0), end: rotatedAt });
    verifyRekorEntry(entry, trustedLogOf(logs, entry));
    // The old log's key, trusted only until the rotation, cannot vouch for a later entry.
    assert.throws(() => trustedLogOf([logs[0] as (typeof logs)[0]], entry), /not the trusted log/);
    const keyless = TrustedRoot.fromJSON({
      ...trustedRootJson({ tlogs: [], certificateAuthorities: [], ctlogs: [], timestampAuthorities: [] }),
      tlogs: [{ baseUrl: 'x', hashAlgorithm: 'SHA2_256', logId: { keyId: '' } }],
    });
    assert.throws(
      () => trustedRootLogKeys(keyless, 'root.json'),
      /root.json: transparency log 1 has no public key/,
    );
  });
});
