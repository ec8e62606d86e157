/**
 * The search keys a certificate files a log entry under (its SAN identities and the OIDC issuer that
 * vouched for them), and the certificates a stored entry body carries, so that keys added after entries
 * were logged can be filled in for them (a store's migration).
 */
import { X509Certificate } from 'node:crypto';
import { certificateIdentity } from '../verify/index.js';

/** `email:<lower-case>` and `subject:<URI>` for the SANs, `issuer:<URL>` for the Fulcio issuer extension. */
export function certificateSearchKeys(cert: X509Certificate): string[] {
  const san = cert.subjectAltName ?? '';
  const keys = san.split(', ').flatMap((name) => {
    if (name.startsWith('email:')) return [`email:${name.slice('email:'.length).toLowerCase()}`];
    if (name.startsWith('URI:')) return [`subject:${name.slice('URI:'.length)}`];
    return [];
  });
  // A certificate that is not Fulcio-shaped (no parsable extensions) still files its SANs.
  let issuer: string | undefined;
  try {
    issuer = certificateIdentity(cert).issuer;
  } catch {
    issuer = undefined;
  }
  return issuer ? [...keys, `issuer:${issuer}`] : keys;
}

/** The search keys of a certificate given as PEM text; none for a bare public key. */
export function pemSearchKeys(pem: string): string[] {
  return pem.includes('BEGIN CERTIFICATE') ? certificateSearchKeys(new X509Certificate(pem)) : [];
}

/**
 * Every certificate in a stored entry body: v1 kinds carry them as base64 of PEM (hashedrekord's
 * publicKey.content, dsse verifiers, intoto publicKey), v2 kinds as base64 DER in x509Certificate.rawBytes.
 */
export function certificatesInBody(body: Buffer): X509Certificate[] {
  const found: X509Certificate[] = [];
  const visit = (value: unknown, key: string, parent: string): void => {
    if (typeof value === 'string') {
      const cert = certificateOf(value, key === 'rawBytes' && parent === 'x509Certificate');
      if (cert) found.push(cert);
    } else if (Array.isArray(value)) {
      for (const item of value) visit(item, key, parent);
    } else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) visit(v, k, key);
    }
  };
  try {
    visit(JSON.parse(body.toString('utf8')), '', '');
  } catch {
    return [];
  }
  return found;
}

function certificateOf(base64: string, der: boolean): X509Certificate | undefined {
  if (base64.length < 64 || !/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) return undefined;
  const bytes = Buffer.from(base64, 'base64');
  if (!der && !bytes.includes('BEGIN CERTIFICATE')) return undefined;
  try {
    return new X509Certificate(bytes);
  } catch {
    return undefined;
  }
}

/** The keys a migration adds for entries logged before a key existed: every certificate's keys. */
export function storedBodySearchKeys(body: Buffer): string[] {
  return [...new Set(certificatesInBody(body).flatMap(certificateSearchKeys))];
}
