/**
 * A client of Rekor v1's REST API (ours or any Rekor): submit entries, fetch them by index or UUID,
 * search the index, read the signed tree head and consistency proofs. Answers are shape-checked before use.
 */

import type { TransparencyLogEntry } from '@sigstore/bundle';
import { callService, isRecord, SigilError } from '../core/index.js';
import type { RekorEntry } from './log.js';

export interface LogInfo {
  rootHash: string;
  treeSize: number;
  signedTreeHead: string;
  treeID: string;
}

export class RekorClient {
  constructor(
    readonly baseUrl: string,
    private readonly timeoutMs = 30_000,
  ) {}

  /** Submits a proposed entry; an entry already in the log (409) is fetched and returned as well. */
  async createEntry(proposed: unknown): Promise<{ uuid: string; entry: RekorEntry; existing: boolean }> {
    const response = await this.call('POST', '/api/v1/log/entries', proposed, [409]);
    if (response.status === 409) {
      const uuid = (response.headers.get('location') ?? '').split('/').pop() ?? '';
      return { ...(await this.entryByUuid(uuid)), existing: true };
    }
    return { ...single(await response.json(), this.baseUrl), existing: false };
  }

  async entryByUuid(uuid: string): Promise<{ uuid: string; entry: RekorEntry }> {
    return single(
      await (await this.call('GET', `/api/v1/log/entries/${encodeURIComponent(uuid)}`)).json(),
      this.baseUrl,
    );
  }

  async entryByIndex(index: number): Promise<{ uuid: string; entry: RekorEntry }> {
    return single(
      await (await this.call('GET', `/api/v1/log/entries?logIndex=${index}`)).json(),
      this.baseUrl,
    );
  }

  async search(query: { hash?: string; publicKey?: string }): Promise<string[]> {
    const body = {
      ...(query.hash ? { hash: query.hash } : {}),
      ...(query.publicKey
        ? { publicKey: { format: 'x509', content: Buffer.from(query.publicKey).toString('base64') } }
        : {}),
    };
    const answer: unknown = await (await this.call('POST', '/api/v1/index/retrieve', body)).json();
    if (!Array.isArray(answer) || !answer.every((u) => typeof u === 'string')) {
      throw new SigilError('BAD_JSON', `${this.baseUrl}: search answer is not a list of UUIDs`);
    }
    return answer;
  }

  async logInfo(): Promise<LogInfo> {
    const info: unknown = await (await this.call('GET', '/api/v1/log')).json();
    if (
      !isRecord(info) ||
      typeof info.rootHash !== 'string' ||
      typeof info.treeSize !== 'number' ||
      typeof info.signedTreeHead !== 'string'
    ) {
      throw new SigilError(
        'BAD_JSON',
        `${this.baseUrl}/api/v1/log: answer lacks rootHash, treeSize or signedTreeHead`,
      );
    }
    return {
      rootHash: info.rootHash,
      treeSize: info.treeSize,
      signedTreeHead: info.signedTreeHead,
      treeID: String(info.treeID ?? ''),
    };
  }

  async consistencyProof(firstSize: number, lastSize: number): Promise<string[]> {
    const proof: unknown = await (
      await this.call('GET', `/api/v1/log/proof?firstSize=${firstSize}&lastSize=${lastSize}`)
    ).json();
    if (!isRecord(proof) || !Array.isArray(proof.hashes))
      throw new SigilError('BAD_JSON', `${this.baseUrl}: proof answer has no hashes`);
    return proof.hashes.map(String);
  }

  async publicKey(): Promise<string> {
    return (await this.call('GET', '/api/v1/log/publicKey')).text();
  }

  private call(method: string, path: string, body?: unknown, accept: number[] = []): Promise<Response> {
    return callService(method, `${this.baseUrl.replace(/\/$/, '')}${path}`, {
      body,
      accept,
      timeoutMs: this.timeoutMs,
      unreachableHint: 'is the transparency log running at --rekor-url?',
    });
  }
}

function single(answer: unknown, where: string): { uuid: string; entry: RekorEntry } {
  if (!isRecord(answer)) throw new SigilError('BAD_JSON', `${where}: entry answer is not an object`);
  const keys = Object.keys(answer);
  if (keys.length !== 1) throw new SigilError('BAD_JSON', `${where}: expected one entry, got ${keys.length}`);
  const uuid = keys[0] as string;
  return { uuid, entry: parseRekorEntry(answer[uuid], `${where} entry ${uuid}`) };
}

export function parseRekorEntry(value: unknown, where: string): RekorEntry {
  const bad = (what: string): never => {
    throw new SigilError('BAD_JSON', `${where}: ${what}`);
  };
  if (!isRecord(value)) return bad('not an object');
  const { body, integratedTime, logID, logIndex, verification } = value;
  if (
    typeof body !== 'string' ||
    typeof integratedTime !== 'number' ||
    typeof logID !== 'string' ||
    typeof logIndex !== 'number'
  ) {
    return bad('lacks body, integratedTime, logID or logIndex');
  }
  if (!isRecord(verification) || typeof verification.signedEntryTimestamp !== 'string')
    return bad('lacks verification.signedEntryTimestamp');
  const proof = verification.inclusionProof;
  if (
    !isRecord(proof) ||
    typeof proof.checkpoint !== 'string' ||
    !Array.isArray(proof.hashes) ||
    typeof proof.logIndex !== 'number' ||
    typeof proof.rootHash !== 'string' ||
    typeof proof.treeSize !== 'number'
  ) {
    return bad('lacks a complete verification.inclusionProof');
  }
  return {
    body,
    integratedTime,
    logID,
    logIndex,
    verification: {
      signedEntryTimestamp: verification.signedEntryTimestamp,
      inclusionProof: {
        checkpoint: proof.checkpoint,
        hashes: proof.hashes.map(String),
        logIndex: proof.logIndex,
        rootHash: proof.rootHash,
        treeSize: proof.treeSize,
      },
    },
  };
}

/** A v1 entry as a Sigstore bundle carries it: SET as inclusion promise, proof with its checkpoint. */
export function toBundleEntry(entry: RekorEntry): TransparencyLogEntry {
  const body = JSON.parse(Buffer.from(entry.body, 'base64').toString('utf8')) as {
    kind?: string;
    apiVersion?: string;
  };
  const proof = entry.verification.inclusionProof;
  return {
    logIndex: String(entry.logIndex),
    logId: { keyId: Buffer.from(entry.logID, 'hex') },
    kindVersion: { kind: body.kind ?? '', version: body.apiVersion ?? '' },
    integratedTime: String(entry.integratedTime),
    inclusionPromise: {
      signedEntryTimestamp: Buffer.from(entry.verification.signedEntryTimestamp, 'base64'),
    },
    inclusionProof: {
      logIndex: String(proof.logIndex),
      rootHash: Buffer.from(proof.rootHash, 'hex'),
      treeSize: String(proof.treeSize),
      hashes: proof.hashes.map((h) => Buffer.from(h, 'hex')),
      checkpoint: { envelope: proof.checkpoint },
    },
    canonicalizedBody: Buffer.from(entry.body, 'base64'),
  };
}
