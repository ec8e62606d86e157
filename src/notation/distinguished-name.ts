/**
 * Distinguished names as notation compares them: an RFC 4514 string (a trust policy's `x509.subject:`
 * identity) parsed into attribute type -> value, single-valued RDNs only, no repeated type, `S` read as
 * `ST`, and C, ST and O mandatory; an identity matches a certificate when each of its attributes is in the
 * certificate's subject with the same value.
 */
import { SigilError } from '../core/index.js';
import type { NotationCertificate } from './certificate.js';

export type DistinguishedName = ReadonlyMap<string, string>;

const MANDATORY = ['C', 'ST', 'O'];

function bad(name: string, what: string): SigilError {
  return new SigilError('BAD_INPUT', `distinguished name ${JSON.stringify(name)}: ${what}`);
}

/** Splits on unescaped `separator` outside quotes. */
function splitUnescaped(text: string, separators: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '\\' && i + 1 < text.length) {
      current += c + (text[i + 1] as string);
      i++;
    } else if (c === '"') {
      quoted = !quoted;
      current += c;
    } else if (!quoted && separators.includes(c)) {
      parts.push(current);
      current = '';
    } else current += c;
  }
  parts.push(current);
  return parts;
}

function unescapeValue(raw: string, name: string): string {
  let value = raw.trim();
  if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const c = value[i] as string;
    if (c !== '\\') {
      bytes.push(...Buffer.from(c, 'utf8'));
      continue;
    }
    const next = value.slice(i + 1, i + 3);
    if (/^[0-9a-fA-F]{2}$/.test(next)) {
      bytes.push(Number.parseInt(next, 16));
      i += 2;
    } else if (i + 1 < value.length) {
      bytes.push(...Buffer.from(value[i + 1] as string, 'utf8'));
      i++;
    } else throw bad(name, 'ends with a lone backslash');
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Parses a trusted identity's DN; BAD_INPUT names what notation would refuse. */
export function parseDistinguishedName(name: string): DistinguishedName {
  if (name.includes('=#')) throw bad(name, 'values given as "=#" (hex BER) are not supported');
  const attributes = new Map<string, string>();
  for (const rdn of splitUnescaped(name, ',;')) {
    if (rdn.trim() === '') throw bad(name, 'has an empty RDN');
    if (splitUnescaped(rdn, '+').length > 1)
      throw bad(name, 'has multi-valued RDNs, which are not supported');
    const equals = rdn.indexOf('=');
    if (equals <= 0) throw bad(name, `RDN ${JSON.stringify(rdn.trim())} has no type=value`);
    let type = rdn.slice(0, equals).trim();
    if (type === 'S') type = 'ST';
    const value = unescapeValue(rdn.slice(equals + 1), name);
    if (attributes.get(type)) throw bad(name, `has the attribute ${type} twice`);
    attributes.set(type, value);
  }
  for (const field of MANDATORY) {
    if (!attributes.get(field)) throw bad(name, `has no ${field}: C, ST (or S) and O are required`);
  }
  return attributes;
}

/** Every attribute of `subset` is in `set` with the same value. */
export function isSubsetDn(subset: DistinguishedName, set: DistinguishedName): boolean {
  for (const [type, value] of subset) if (set.get(type) !== value) return false;
  return true;
}

/** The certificate subject as a DN map; undefined when notation could not compare it (multi-valued, repeated). */
export function certificateDn(cert: NotationCertificate): DistinguishedName | undefined {
  if (cert.multiValuedSubject) return undefined;
  const attributes = new Map<string, string>();
  for (const [type, value] of cert.subjectAttributes) {
    if (attributes.has(type)) return undefined;
    attributes.set(type, value);
  }
  return attributes;
}
