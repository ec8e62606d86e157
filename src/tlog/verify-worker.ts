/**
 * A worker thread that checks proposed entries (parsing, signature verification, canonical body), so
 * that this CPU work runs beside the thread that serves HTTP and sequences batches.
 */
import { parentPort } from 'node:worker_threads';
import { type ErrorCode, isSigilError } from '../core/index.js';
import { acceptProposedEntry } from './kinds.js';
import { acceptV2Request } from './kinds-v2.js';

export interface VerifyRequest {
  id: number;
  api: 'v1' | 'v2';
  proposed: unknown;
}

export type VerifyResponse =
  | {
      id: number;
      ok: true;
      kind: string;
      apiVersion: string;
      body: Uint8Array;
      leafHash: Uint8Array;
      indexKeys: string[];
    }
  | { id: number; ok: false; code?: ErrorCode; message: string };

parentPort?.on('message', (request: VerifyRequest) => {
  try {
    const accepted =
      request.api === 'v1' ? acceptProposedEntry(request.proposed) : acceptV2Request(request.proposed);
    parentPort?.postMessage({ id: request.id, ok: true, ...accepted } satisfies VerifyResponse);
  } catch (err) {
    const code = isSigilError(err) ? { code: err.code } : {};
    parentPort?.postMessage({
      id: request.id,
      ok: false,
      ...code,
      message: (err as Error).message,
    } satisfies VerifyResponse);
  }
});
