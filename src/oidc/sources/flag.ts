/**
 * `--identity-token`: the token itself, or the path of a file holding it (cosign reads the file when the
 * value is not a token; a file at that path wins here, so a token kept in a file named like anything works).
 */
import { readFile, stat } from 'node:fs/promises';
import { isRecord, messageOf, SigilError } from '../../core/index.js';
import type { TokenResult } from './types.js';

/** Three base64url segments (a JWS in compact form); the signature segment may be empty. */
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** A compact JWS whose header is a JSON object naming an `alg` (so `token.jwt.txt` is not one). */
export function looksLikeJwt(value: string): boolean {
  if (!JWT_SHAPE.test(value)) return false;
  try {
    const header: unknown = JSON.parse(
      Buffer.from(value.slice(0, value.indexOf('.')), 'base64url').toString('utf8'),
    );
    return isRecord(header) && typeof header.alg === 'string';
  } catch {
    return false;
  }
}

export async function tokenFromFlag(value: string): Promise<TokenResult> {
  const trimmed = value.trim();
  if (trimmed === '') {
    throw new SigilError(
      'BAD_INPUT',
      '--identity-token is empty',
      'pass the token itself or the path of a file that holds it',
    );
  }
  if (await isFile(trimmed)) {
    let text: string;
    try {
      text = await readFile(trimmed, 'utf8');
    } catch (err) {
      throw new SigilError('IO_ERROR', `cannot read the identity token file ${trimmed}: ${messageOf(err)}`);
    }
    const token = text.trim();
    if (token === '') {
      throw new SigilError(
        'BAD_INPUT',
        `the identity token file ${trimmed} is empty`,
        'write the OIDC token into it, or pass the token itself to --identity-token',
      );
    }
    return { token, source: `--identity-token file ${trimmed}` };
  }
  if (looksLikeJwt(trimmed)) return { token: trimmed, source: '--identity-token' };
  throw new SigilError(
    'BAD_INPUT',
    `--identity-token is neither a JWT nor the path of a file: ${preview(trimmed)}`,
    'pass the raw OIDC token (header.payload.signature) or the path of a file that holds it',
  );
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** Enough of a mistyped value to recognise it, never a whole secret. */
function preview(value: string): string {
  return value.length > 40 ? `${value.slice(0, 40)}…` : value;
}
