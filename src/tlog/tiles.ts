/**
 * The C2SP tlog-tiles read API: `/checkpoint`, `/tile/<L>/<N>[.p/<W>]` (256 hashes of tree level 8·L per
 * tile) and `/tile/entries/<N>[.p/<W>]` (entry bundles). Tiles never change once served, so a mirror,
 * CDN or object store can copy and serve them; readers verify everything against a signed checkpoint.
 */
import type { FastifyInstance } from 'fastify';
import type { TransparencyLog } from './log.js';

export const TILE_WIDTH = 256;
const TILE_PATH = /^\/tile\/(entries|\d+)\/((?:x\d{3}\/)*\d{3})(?:\.p\/(\d{1,3}))?$/;

export interface TileAddress {
  /** Tile level, or 'entries' for entry bundles. */
  level: number | 'entries';
  index: number;
  /** Partial tile width (1..255); undefined for a full tile. */
  width?: number;
}

/** Parses `/tile/...` paths; undefined for anything that is not a well-formed tile path. */
export function parseTilePath(path: string): TileAddress | undefined {
  const match = TILE_PATH.exec(path);
  if (!match) return undefined;
  const index = Number((match[2] as string).replace(/x/g, '').replace(/\//g, ''));
  const width = match[3] === undefined ? undefined : Number(match[3]);
  if (width !== undefined && (width < 1 || width >= TILE_WIDTH)) return undefined;
  const level = match[1] === 'entries' ? 'entries' : Number(match[1]);
  return { level, index, ...(width === undefined ? {} : { width }) };
}

/** The path of a tile, with the index in 3-digit groups as the spec requires (1234067 → x001/x234/067). */
export function tilePath(address: TileAddress): string {
  const digits = String(address.index).padStart(3, '0');
  const padded = digits.padStart(Math.ceil(digits.length / 3) * 3, '0');
  const groups = padded.match(/\d{3}/g) ?? [];
  const index = groups.map((g, i) => (i < groups.length - 1 ? `x${g}` : g)).join('/');
  return `/tile/${address.level}/${index}${address.width === undefined ? '' : `.p/${address.width}`}`;
}

/** How many hashes the tile has in a tree of `size` leaves (0 when it does not exist yet). */
function availableWidth(level: number, index: number, size: number): number {
  const nodesAtLevel = Math.floor(size / TILE_WIDTH ** level);
  return Math.max(0, Math.min(TILE_WIDTH, nodesAtLevel - index * TILE_WIDTH));
}

export function registerTileRoutes(app: FastifyInstance, log: TransparencyLog): void {
  app.get('/checkpoint', async (_request, reply) => {
    const checkpoint = await log.checkpoint();
    return reply
      .header('Content-Type', 'text/plain; charset=utf-8')
      .header('Cache-Control', 'no-cache')
      .send(checkpoint.note);
  });

  app.get('/tile/*', async (request, reply) => {
    const address = parseTilePath(request.url.split('?')[0] ?? '');
    if (!address) return reply.status(404).send({ code: 404, message: 'not a tile path' });
    const size = (await log.checkpoint()).size;
    const level = address.level === 'entries' ? 0 : address.level;
    const want = address.width ?? TILE_WIDTH;
    if (availableWidth(level, address.index, size) < want) {
      return reply.status(404).send({ code: 404, message: `tile not available at tree size ${size}` });
    }
    const first = address.index * TILE_WIDTH;
    reply
      .header('Cache-Control', 'public, max-age=31536000, immutable')
      .header('Content-Type', 'application/octet-stream');
    if (address.level === 'entries') {
      const entries = await Promise.all(
        Array.from({ length: want }, (_, i) => log.storage.entryByIndex(first + i)),
      );
      // Entry bundles: each entry as a big-endian uint16 length and its bytes (the canonical body).
      return reply.send(
        Buffer.concat(
          entries.flatMap((entry) => {
            const body = entry?.body ?? Buffer.alloc(0);
            const length = Buffer.alloc(2);
            length.writeUInt16BE(body.length);
            return [length, body];
          }),
        ),
      );
    }
    const nodes = Array.from({ length: want }, (_, i) => ({ level: 8 * level, index: first + i }));
    return reply.send(Buffer.concat(await log.storage.getNodeHashes(nodes)));
  });
}
