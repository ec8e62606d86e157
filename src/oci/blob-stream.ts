/**
 * Pieces for moving blobs as streams rather than Buffers (multi-GB layers must not need that much memory):
 * a verifier that hashes the bytes as they pass, and a deadline that measures silence rather than the
 * whole transfer.
 */
import { createHash } from 'node:crypto';
import { type Digest, SigilError } from '../core/index.js';

/**
 * A timeout that restarts with every chunk: a large transfer may take as long as it needs, but an upload
 * or download that makes no progress for `ms` is aborted (as a TimeoutError, like AbortSignal.timeout).
 */
export class IdleDeadline {
  private controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly ms: number) {}

  /** A fresh signal for one request attempt, its clock started. */
  start(): AbortSignal {
    this.controller = new AbortController();
    this.touch();
    return this.controller.signal;
  }

  touch(): void {
    clearTimeout(this.timer);
    const controller = this.controller;
    this.timer = setTimeout(
      () => controller.abort(new DOMException(`no progress for ${this.ms / 1000} s`, 'TimeoutError')),
      this.ms,
    );
    // The transfer, not this timer, keeps the process alive.
    this.timer.unref();
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  /** A pass-through that counts every chunk as progress; its end restarts the clock for the answer. */
  watch(): TransformStream<Uint8Array, Uint8Array> {
    return new TransformStream({
      transform: (chunk, controller) => {
        this.touch();
        controller.enqueue(chunk);
      },
      flush: () => this.touch(),
    });
  }
}

/**
 * Passes a blob's bytes through while hashing them, and errors with DIGEST_MISMATCH when they do not
 * hash to `digest` or are not `size` bytes. The last chunk is held back until the whole content has been
 * checked, so whoever reads the stream (an upload with Content-Length `size`) never receives a complete
 * wrong blob: it sees the stream fail before its final bytes instead.
 */
export function verifyingStream(
  digest: Digest,
  size: number,
  where: string,
  deadline: IdleDeadline,
): TransformStream<Uint8Array, Uint8Array> {
  const algorithm = digest.startsWith('sha512:') ? 'sha512' : 'sha256';
  const hash = createHash(algorithm);
  let seen = 0;
  let held: Uint8Array | undefined;
  const wrongSize = (actual: string) =>
    new SigilError('DIGEST_MISMATCH', `${where}: content is ${actual} bytes, expected ${size}`);
  return new TransformStream({
    transform(chunk, controller) {
      deadline.touch();
      seen += chunk.length;
      if (seen > size) throw wrongSize(`more than ${size}`);
      hash.update(chunk);
      if (held) controller.enqueue(held);
      held = chunk;
    },
    flush(controller) {
      deadline.stop();
      if (seen !== size) throw wrongSize(String(seen));
      const actual = `${algorithm}:${hash.digest('hex')}`;
      if (actual !== digest) {
        throw new SigilError('DIGEST_MISMATCH', `${where}: content digest is ${actual}, expected ${digest}`);
      }
      if (held) controller.enqueue(held);
    },
  });
}
