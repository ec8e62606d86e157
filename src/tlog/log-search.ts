/**
 * The console's log search: one field (artifact hash, identity, OIDC issuer, public key, log index or
 * UUID) turned into one lookup in the search index or the entries table, answered a page at a time, newest
 * first, with the cursor for the next page. Never a scan: every key is a primary-key range.
 */
import { fromBase64, SigilError, sha256 } from '../core/index.js';
import { loadPublicKeyPem } from '../crypto/index.js';
import type { TransparencyLog } from './log.js';
import type { StoredEntry } from './storage.js';

export const SEARCH_FIELDS = ['hash', 'identity', 'issuer', 'publicKey', 'logIndex', 'uuid'] as const;
export type SearchField = (typeof SEARCH_FIELDS)[number];

export interface LogSearchQuery {
  field: SearchField;
  value: string;
  /** The cursor of the previous page: only entries below this index. */
  before?: number;
  limit?: number;
}

export interface EntrySummary {
  uuid: string;
  logIndex: number;
  kind: string;
  apiVersion: string;
  integratedTime: number;
}

export interface LogSearchPage {
  entries: EntrySummary[];
  /** Pass as `before` for the next page; absent on the last one. */
  next?: number;
}

export const MAX_PAGE = 100;
const DEFAULT_PAGE = 25;

function bad(message: string): never {
  throw new SigilError('BAD_INPUT', message);
}

/** The index key a search field and value name (the keys kinds.ts files entries under). */
export function searchKeyOf(field: SearchField, value: string): string {
  const text = value.trim();
  if (text === '') bad(`give a value to search by ${field}`);
  switch (field) {
    case 'hash': {
      const [algorithm, hex] = text.includes(':')
        ? text.toLowerCase().split(':', 2)
        : ['sha256', text.toLowerCase()];
      if (!/^sha(256|384|512)$/.test(algorithm ?? '') || !/^[0-9a-f]{64,128}$/.test(hex ?? ''))
        bad(`hash must be hex SHA-256 (optionally "sha256:" in front), not "${text.slice(0, 80)}"`);
      return `${algorithm}:${hex}`;
    }
    case 'identity':
      // An email SAN, or a URI SAN such as a GitHub workflow identity.
      return /^[^@/\s]+@[^@/\s]+$/.test(text) ? `email:${text.toLowerCase()}` : `subject:${text}`;
    case 'issuer':
      return `issuer:${text}`;
    case 'publicKey':
      return publicKeySearchKey(text);
    default:
      return bad(`${field} is not an index key`);
  }
}

/** A PEM key, base64 of one (Rekor's form), or its fingerprint (hex SHA-256 of the DER SubjectPublicKeyInfo). */
function publicKeySearchKey(text: string): string {
  const fingerprint = /^(?:key:)?([0-9a-fA-F]{64})$/.exec(text);
  if (fingerprint) return `key:${(fingerprint[1] as string).toLowerCase()}`;
  const pem = text.includes('-----BEGIN') ? text : fromBase64(text, 'publicKey').toString('utf8');
  const key = loadPublicKeyPem(pem, 'publicKey');
  return `key:${sha256(key.export({ type: 'spki', format: 'der' })).toString('hex')}`;
}

export async function searchLog(log: TransparencyLog, query: LogSearchQuery): Promise<LogSearchPage> {
  const limit = Math.min(Math.max(query.limit ?? DEFAULT_PAGE, 1), MAX_PAGE);
  if (query.field === 'logIndex') {
    if (!/^(0|[1-9][0-9]*)$/.test(query.value.trim())) bad('logIndex must be a non-negative integer');
    const entry = await log.storage.entryByIndex(Number(query.value.trim()));
    return { entries: entry ? [summaryOf(log, entry)] : [] };
  }
  if (query.field === 'uuid') {
    const found = await log.storedByUuid(query.value.trim().toLowerCase());
    return { entries: found ? [summaryOf(log, found)] : [] };
  }
  const key = searchKeyOf(query.field, query.value);
  const indexes = await log.storage.searchPage(key, {
    ...(query.before !== undefined ? { before: query.before } : {}),
    limit: limit + 1,
  });
  const page = indexes.slice(0, limit);
  const entries = await Promise.all(page.map((i) => log.storage.entryByIndex(i)));
  const summaries = entries.flatMap((e) => (e ? [summaryOf(log, e)] : []));
  return indexes.length > limit
    ? { entries: summaries, next: page.at(-1) as number }
    : { entries: summaries };
}

function summaryOf(log: TransparencyLog, entry: StoredEntry): EntrySummary {
  let kind = 'unknown';
  let apiVersion = '';
  try {
    const body = JSON.parse(entry.body.toString('utf8')) as { kind?: unknown; apiVersion?: unknown };
    if (typeof body.kind === 'string') kind = body.kind;
    if (typeof body.apiVersion === 'string') apiVersion = body.apiVersion;
  } catch {
    // A body that is not JSON (a CT log leaf) is shown as kind unknown.
  }
  return {
    uuid: log.uuid(entry),
    logIndex: entry.index,
    kind,
    apiVersion,
    integratedTime: entry.integratedTime,
  };
}
