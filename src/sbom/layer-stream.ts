/**
 * Streams one image layer onto the file view in a single pass: the compressed bytes are hashed against
 * the layer digest, gunzipped and read as tar as they arrive, so only what the catalogers keep is held.
 */
import { createHash } from 'node:crypto';
import { type Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { type Digest, SigilError } from '../core/index.js';
import { catalogCollector } from './catalogers.js';
import { type FileView, layerReader } from './filesystem.js';

export interface StreamedLayer {
  digest: Digest;
  gzip: boolean;
}

/**
 * Applies the layer read from `body` onto `view`; returns the uncompressed size. The view only counts once
 * this resolves: a digest mismatch is known at the end of the stream, and it rejects then.
 */
export async function applyLayerStream(
  view: FileView,
  body: Readable,
  layer: StreamedLayer,
  where: string,
): Promise<number> {
  const algorithm = layer.digest.startsWith('sha512:') ? 'sha512' : 'sha256';
  const hash = createHash(algorithm);
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  const reader = layerReader(view, where, catalogCollector);
  let bytes = 0;
  const tar = new Writable({
    write(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      done(attempt(() => reader.write(chunk)));
    },
    final(done) {
      done(attempt(() => reader.end()));
    },
  });
  try {
    await (layer.gzip ? pipeline(body, hashing, createGunzip(), tar) : pipeline(body, hashing, tar));
  } catch (err) {
    if (err instanceof SigilError) throw err;
    const error = err as NodeJS.ErrnoException;
    if (error.code?.startsWith('Z_'))
      throw new SigilError('BAD_INPUT', `${where}: not a gzip stream (${error.message})`);
    throw new SigilError('REGISTRY_UNREACHABLE', `${where}: download failed (${error.message})`);
  }
  const actual = `${algorithm}:${hash.digest('hex')}`;
  if (actual !== layer.digest) {
    throw new SigilError(
      'DIGEST_MISMATCH',
      `${where}: content digest is ${actual}, expected ${layer.digest}`,
    );
  }
  return bytes;
}

/** Runs `step`, returning what it throws, for stream callbacks that report errors as an argument. */
function attempt(step: () => void): Error | null {
  try {
    step();
    return null;
  } catch (err) {
    return err as Error;
  }
}
