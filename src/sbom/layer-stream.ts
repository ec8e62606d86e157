/**
 * Streams one image layer onto the file view in a single pass: the compressed bytes are hashed against
 * the layer digest, gunzipped and read as tar as they arrive, so only what the catalogers keep is held.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { type Digest, isSigilError, SigilError } from '../core/index.js';
import { catalogCollector } from './catalogers.js';
import { layerReader } from './filesystem.js';
import type { FileView } from './model.js';

export interface StreamedLayer {
  digest: Digest;
  /** The descriptor's size: a registry sending more is cut off rather than read without end. */
  size: number;
  gzip: boolean;
}

/**
 * Applies the layer read from `body` onto `view` and returns its uncompressed size. The digest is only
 * known at the end, so after a gzip or tar error the rest is still read and hashed: bytes that do not
 * match the digest (DIGEST_MISMATCH) are the real cause then, not the content they happen to hold.
 */
export async function applyLayerStream(
  view: FileView,
  body: AsyncIterable<Uint8Array>,
  layer: StreamedLayer,
  where: string,
): Promise<number> {
  const algorithm = layer.digest.startsWith('sha512:') ? 'sha512' : 'sha256';
  const hash = createHash(algorithm);
  const reader = layerReader(view, where, catalogCollector);
  let bytes = 0;
  let failure: unknown;
  const toTar = (chunk: Buffer): void => {
    if (failure) return;
    bytes += chunk.length;
    try {
      reader.write(chunk);
    } catch (err) {
      failure = err;
    }
  };
  const gunzip = layer.gzip ? createGunzip() : undefined;
  gunzip?.on('data', toTar).on('error', (err) => {
    failure ??= new SigilError('BAD_INPUT', `${where}: not a gzip stream (${err.message})`);
  });
  let received = 0;
  try {
    for await (const chunk of body) {
      received += chunk.length;
      if (received > layer.size) {
        throw new SigilError(
          'DIGEST_MISMATCH',
          `${where}: the registry sent more than the ${layer.size} bytes the manifest gives`,
        );
      }
      hash.update(chunk);
      if (failure || gunzip?.destroyed) continue;
      const piece = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      if (!gunzip) toTar(piece);
      // A rejection here is a gzip error, already recorded by the listener above.
      else if (!gunzip.write(piece)) await once(gunzip, 'drain').catch(() => {});
    }
  } catch (err) {
    gunzip?.destroy();
    if (isSigilError(err)) throw err;
    throw new SigilError('REGISTRY_UNREACHABLE', `${where}: download failed (${(err as Error).message})`);
  }
  if (gunzip && !failure) await finished(gunzip.end()).catch(() => {});
  gunzip?.destroy();
  if (!failure) {
    try {
      reader.end();
    } catch (err) {
      failure = err;
    }
  }
  const actual = `${algorithm}:${hash.digest('hex')}`;
  if (actual !== layer.digest) {
    throw new SigilError(
      'DIGEST_MISMATCH',
      `${where}: content digest is ${actual}, expected ${layer.digest}`,
    );
  }
  if (failure) throw failure;
  return bytes;
}
