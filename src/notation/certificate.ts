/**
 * The parts of an X.509 certificate the Notary Project rules look at (validity, names, basic constraints,
 * key usage, extended key usage, revocation endpoints), read once from its DER. Signatures over
 * certificates are checked by Node's crypto; the extensions are read with @peculiar/asn1-x509 (loaded
 * only when a Notation command runs).
 */
import { createHash, X509Certificate } from 'node:crypto';
import { BoundedMap, loadAsn1Schema, loadAsn1X509, messageOf, SigilError } from '../core/index.js';

export interface NotationCertificate {
  der: Buffer;
  x509: X509Certificate;
  /** The subject as Go's pkix.Name.String() prints it (notation's messages and `cert show`). */
  subject: string;
  issuer: string;
  /** The subject's attributes (short names C, ST, O, ...), as notation compares trusted identities. */
  subjectAttributes: ReadonlyArray<readonly [string, string]>;
  /** More than one value in one RDN: notation refuses such subjects as identities. */
  multiValuedSubject: boolean;
  rawSubject: Buffer;
  rawIssuer: Buffer;
  notBefore: Date;
  notAfter: Date;
  basicConstraints?: { ca: boolean; pathLength?: number; critical: boolean };
  keyUsage?: { flags: number; critical: boolean };
  extendedKeyUsage?: string[];
  /** OCSP responder URLs (authority information access) and CRL distribution point URLs. */
  ocspUrls: string[];
  crlUrls: string[];
  /** Lower-case hex SHA-256 of the DER: notation's thumbprint. */
  sha256: string;
}

export const KEY_USAGE = {
  digitalSignature: 1,
  keyEncipherment: 4,
  dataEncipherment: 8,
  keyAgreement: 16,
  keyCertSign: 32,
  cRLSign: 64,
  encipherOnly: 128,
  decipherOnly: 256,
} as const;

export const EKU = {
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  codeSigning: '1.3.6.1.5.5.7.3.3',
  emailProtection: '1.3.6.1.5.5.7.3.4',
  timeStamping: '1.3.6.1.5.5.7.3.8',
  ocspSigning: '1.3.6.1.5.5.7.3.9',
} as const;

/** Short names Go gives attribute types in pkix.Name.String(). */
const ATTRIBUTE_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.5': 'SERIALNUMBER',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'STREET',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.17': 'POSTALCODE',
};

/**
 * Parsed certificates by the SHA-256 of their DER: a verifier sees the same few chains and trust store
 * certificates again and again, and reading the extensions costs a hundred times the hash.
 */
const parsedCertificates = new BoundedMap<string, NotationCertificate>(1024);

export function parseCertificate(der: Uint8Array, where: string): NotationCertificate {
  const key = createHash('sha256').update(der).digest('hex');
  return parsedCertificates.getOrSet(key, () => readCertificate(Buffer.from(der), where));
}

function readCertificate(bytes: Buffer, where: string): NotationCertificate {
  const { AsnConvert } = loadAsn1Schema();
  const asn = loadAsn1X509();
  let x509: X509Certificate;
  let certificate: import('@peculiar/asn1-x509').Certificate;
  try {
    x509 = new X509Certificate(bytes);
    certificate = AsnConvert.parse(bytes, asn.Certificate);
  } catch (err) {
    throw new SigilError('BAD_CERTIFICATE', `${where}: not an X.509 certificate (${messageOf(err)})`);
  }
  const tbs = certificate.tbsCertificate;
  const parsed: NotationCertificate = {
    der: bytes,
    x509,
    ...nameParts(tbs.subject),
    issuer: nameParts(tbs.issuer).subject,
    rawSubject: Buffer.from(AsnConvert.serialize(tbs.subject)),
    rawIssuer: Buffer.from(AsnConvert.serialize(tbs.issuer)),
    notBefore: tbs.validity.notBefore.getTime(),
    notAfter: tbs.validity.notAfter.getTime(),
    ocspUrls: [],
    crlUrls: [],
    sha256: createHash('sha256').update(bytes).digest('hex'),
  };
  try {
    for (const extension of tbs.extensions ?? []) {
      const value = extension.extnValue.buffer;
      switch (extension.extnID) {
        case asn.id_ce_basicConstraints: {
          const bc = AsnConvert.parse(value, asn.BasicConstraints);
          parsed.basicConstraints = {
            ca: bc.cA,
            critical: extension.critical,
            ...(bc.pathLenConstraint === undefined ? {} : { pathLength: bc.pathLenConstraint }),
          };
          break;
        }
        case asn.id_ce_keyUsage:
          parsed.keyUsage = {
            flags: AsnConvert.parse(value, asn.KeyUsage).toNumber(),
            critical: extension.critical,
          };
          break;
        case asn.id_ce_extKeyUsage:
          parsed.extendedKeyUsage = [...AsnConvert.parse(value, asn.ExtendedKeyUsage)];
          break;
        case asn.id_pe_authorityInfoAccess:
          for (const access of AsnConvert.parse(value, asn.AuthorityInfoAccessSyntax)) {
            const url = access.accessLocation.uniformResourceIdentifier;
            if (access.accessMethod === asn.id_ad_ocsp && url) parsed.ocspUrls.push(url);
          }
          break;
        case asn.id_ce_cRLDistributionPoints:
          for (const point of AsnConvert.parse(value, asn.CRLDistributionPoints)) {
            for (const name of point.distributionPoint?.fullName ?? []) {
              if (name.uniformResourceIdentifier) parsed.crlUrls.push(name.uniformResourceIdentifier);
            }
          }
          break;
      }
    }
  } catch (err) {
    throw new SigilError('BAD_CERTIFICATE', `${where}: malformed extension (${messageOf(err)})`);
  }
  return parsed;
}

function nameParts(
  name: import('@peculiar/asn1-x509').Name,
): Pick<NotationCertificate, 'subject' | 'subjectAttributes' | 'multiValuedSubject'> {
  const attributes: [string, string][] = [];
  const rdns: string[] = [];
  let multiValued = false;
  for (const rdn of name) {
    if (rdn.length > 1) multiValued = true;
    const parts: string[] = [];
    for (const attribute of rdn) {
      const type = ATTRIBUTE_NAMES[attribute.type] ?? attribute.type;
      const value = attribute.value.toString();
      attributes.push([type, value]);
      parts.push(`${type}=${escapeDnValue(value)}`);
    }
    rdns.push(parts.join('+'));
  }
  // Go prints the RDNs last first (RFC 2253 order).
  return {
    subject: rdns.reverse().join(','),
    subjectAttributes: attributes,
    multiValuedSubject: multiValued,
  };
}

/** RFC 4514 escaping, as Go's pkix.Name.String() applies it. */
function escapeDnValue(value: string): string {
  let escaped = value.replace(/[,+"\\<>;]/g, (c) => `\\${c}`);
  if (escaped.startsWith(' ') || escaped.startsWith('#')) escaped = `\\${escaped}`;
  if (escaped.endsWith(' ') && escaped.length > 1) escaped = `${escaped.slice(0, -1)}\\ `;
  return escaped;
}

/** True when `issuer`'s key signed `subject` and the names chain (Go's CheckSignatureFrom + raw names). */
export function isIssuedBy(subject: NotationCertificate, issuer: NotationCertificate): boolean {
  if (!subject.rawIssuer.equals(issuer.rawSubject)) return false;
  try {
    return subject.x509.verify(issuer.x509.publicKey);
  } catch {
    return false;
  }
}

export function isSelfSigned(cert: NotationCertificate): boolean {
  return isIssuedBy(cert, cert);
}

export function certificatesEqual(a: NotationCertificate, b: NotationCertificate): boolean {
  return a.der.equals(b.der);
}
