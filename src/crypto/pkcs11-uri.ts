/**
 * RFC 7512 `pkcs11:` URIs as cosign's pkcs11key package reads them: path attributes `token`, `slot-id`,
 * `object`, `id` (percent-encoded bytes) separated by `;`, query attributes `module-path`, `pin-value`,
 * `pin-source` separated by `&`. As in cosign, a missing module path falls back to
 * COSIGN_PKCS11_MODULE_PATH and a missing PIN to COSIGN_PKCS11_PIN; one of `id`/`object` is required.
 */
import { readFileSync } from 'node:fs';
import { messageOf, SigilError } from '../core/index.js';

export const PKCS11_SCHEME = 'pkcs11:';

export interface Pkcs11Uri {
  modulePath: string;
  token?: string;
  slotId?: number;
  object?: string;
  id?: Buffer;
  /** Undefined when neither the URI nor the environment gives one: the token is used without login. */
  pin?: string;
}

const PATH_ATTRIBUTES = new Set([
  'token',
  'slot-id',
  'object',
  'id',
  'manufacturer',
  'model',
  'serial',
  'type',
]);
const QUERY_ATTRIBUTES = new Set(['module-path', 'module-name', 'pin-value', 'pin-source']);

export function isPkcs11Uri(ref: string): boolean {
  return ref.startsWith(PKCS11_SCHEME);
}

function bad(uri: string, what: string): SigilError {
  return new SigilError(
    'BAD_KEY',
    `${redact(uri)}: ${what}`,
    'e.g. pkcs11:token=T;object=O?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-value=1234',
  );
}

/** The URI with any `pin-value` hidden, for messages. */
export function redact(uri: string): string {
  return uri.replace(/(pin-value=)[^&]*/g, '$1***');
}

function attributes(uri: string, part: string, separator: string, known: Set<string>): Map<string, Buffer> {
  const found = new Map<string, Buffer>();
  for (const pair of part.split(separator).filter((p) => p !== '')) {
    const eq = pair.indexOf('=');
    const name = eq < 0 ? pair : pair.slice(0, eq);
    if (!known.has(name)) throw bad(uri, `unknown attribute "${name}"`);
    if (found.has(name)) throw bad(uri, `attribute "${name}" is given twice`);
    found.set(name, percentDecode(uri, pair.slice(eq + 1)));
  }
  return found;
}

// Percent-decoding to bytes, not to a string: `id` values are arbitrary bytes (%01 is the byte 1).
function percentDecode(uri: string, value: string): Buffer {
  if (/%(?![0-9a-fA-F]{2})/.test(value)) throw bad(uri, `malformed percent-encoding in "${value}"`);
  return Buffer.from(
    value.replace(/%([0-9a-fA-F]{2})/g, (_m, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))),
    'latin1',
  );
}

export function parsePkcs11Uri(uri: string, env: NodeJS.ProcessEnv = process.env): Pkcs11Uri {
  if (!isPkcs11Uri(uri)) throw bad(uri, 'does not start with pkcs11:');
  const rest = uri.slice(PKCS11_SCHEME.length);
  const q = rest.indexOf('?');
  const path = attributes(uri, q < 0 ? rest : rest.slice(0, q), ';', PATH_ATTRIBUTES);
  const query = attributes(uri, q < 0 ? '' : rest.slice(q + 1), '&', QUERY_ATTRIBUTES);
  const text = (m: Map<string, Buffer>, name: string) => m.get(name)?.toString('utf8');

  const modulePath = text(query, 'module-path') ?? env.COSIGN_PKCS11_MODULE_PATH;
  if (!modulePath) throw bad(uri, 'no module-path, and COSIGN_PKCS11_MODULE_PATH is not set');
  const object = text(path, 'object');
  const id = path.get('id');
  if (object === undefined && id === undefined) throw bad(uri, 'names no key: give id= or object=');
  const slotText = text(path, 'slot-id');
  const slotId = slotText === undefined ? undefined : Number(slotText);
  if (slotId !== undefined && !(Number.isInteger(slotId) && slotId >= 0))
    throw bad(uri, `slot-id "${slotText}" is not a number`);
  const token = text(path, 'token');
  if (token === undefined && slotId === undefined) throw bad(uri, 'names no token: give token= or slot-id=');
  return { modulePath, token, slotId, object, id, pin: pinOf(uri, query, env) };
}

function pinOf(uri: string, query: Map<string, Buffer>, env: NodeJS.ProcessEnv): string | undefined {
  const value = query.get('pin-value');
  const source = query.get('pin-source')?.toString('utf8');
  if (value !== undefined && source !== undefined) throw bad(uri, 'give pin-value or pin-source, not both');
  if (value !== undefined) return value.toString('utf8');
  if (source !== undefined) {
    const file = source.startsWith('file:') ? source.slice('file:'.length) : source;
    try {
      return readFileSync(file, 'utf8').trim();
    } catch (err) {
      throw bad(uri, `cannot read pin-source ${file}: ${messageOf(err)}`);
    }
  }
  return env.COSIGN_PKCS11_PIN;
}

/**
 * The URI of a key as cosign's `pkcs11-tool list-keys-uris` prints it: token, slot, every `id` byte
 * percent-encoded, the label, then module path and PIN.
 */
export function formatPkcs11Uri(uri: Pkcs11Uri): string {
  const path: string[] = [];
  if (uri.token !== undefined) path.push(`token=${percentEncode(Buffer.from(uri.token, 'utf8'))}`);
  if (uri.slotId !== undefined) path.push(`slot-id=${uri.slotId}`);
  if (uri.id !== undefined) path.push(`id=${[...uri.id].map(hexByte).join('')}`);
  if (uri.object !== undefined) path.push(`object=${percentEncode(Buffer.from(uri.object, 'utf8'))}`);
  const query = [`module-path=${encodeURI(uri.modulePath)}`];
  if (uri.pin !== undefined) query.push(`pin-value=${percentEncode(Buffer.from(uri.pin, 'utf8'))}`);
  return `${PKCS11_SCHEME}${path.join(';')}?${query.join('&')}`;
}

// RFC 7512 leaves unreserved characters as they are; everything else (`;`, `?`, `&`, `%`, spaces, non-ASCII
// bytes) is percent-encoded so that the URI parses back to the same bytes.
function percentEncode(bytes: Buffer): string {
  return [...bytes]
    .map((b) => (/[A-Za-z0-9\-._~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : hexByte(b)))
    .join('');
}

function hexByte(byte: number): string {
  return `%${byte.toString(16).padStart(2, '0')}`;
}
