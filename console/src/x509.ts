/**
 * What the entry page shows of a signing certificate, decoded in the browser from the bytes the log
 * entry carries (so it is covered by the verified leaf hash): subject and issuer names, validity, SANs,
 * and the Sigstore extensions (OIDC issuer, GitHub workflow fields) under 1.3.6.1.4.1.57264.1.
 */
import { fromUtf8 } from './bytes.js';
import { children, type Der, derTime, oidText, readDer } from './der.js';

const SIGSTORE_ARC = '1.3.6.1.4.1.57264.1.';

/** Names of the Sigstore extensions people look for (Fulcio's OID registry). */
export const SIGSTORE_EXTENSIONS: Record<number, string> = {
  1: 'OIDC issuer (v1)',
  2: 'GitHub workflow trigger',
  3: 'GitHub workflow SHA',
  4: 'GitHub workflow name',
  5: 'GitHub workflow repository',
  6: 'GitHub workflow ref',
  8: 'OIDC issuer',
  9: 'Build signer URI',
  10: 'Build signer digest',
  11: 'Runner environment',
  12: 'Source repository URI',
  13: 'Source repository digest',
  14: 'Source repository ref',
  15: 'Source repository identifier',
  16: 'Source repository owner URI',
  17: 'Source repository owner identifier',
  18: 'Build config URI',
  19: 'Build config digest',
  20: 'Build trigger',
  21: 'Run invocation URI',
  22: 'Source repository visibility',
};

export interface DecodedCertificate {
  subject: string;
  issuer: string;
  serial: string;
  notBefore: Date;
  notAfter: Date;
  /** SANs, typed. */
  sans: { type: 'email' | 'uri' | 'dns' | 'other'; value: string }[];
  /** The OIDC issuer (extension .8, else the deprecated .1). */
  oidcIssuer?: string;
  /** Every Sigstore extension, by its number under the arc. */
  sigstore: { number: number; name: string; value: string }[];
}

const NAME_ATTRIBUTES: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.6': 'C',
};

function nameText(name: Der): string {
  return children(name)
    .flatMap((rdn) => children(rdn))
    .map((attribute) => {
      const [type, value] = children(attribute);
      if (!type || !value) return '';
      const key = NAME_ATTRIBUTES[oidText(type.value)] ?? oidText(type.value);
      return `${key}=${fromUtf8(value.value)}`;
    })
    .filter(Boolean)
    .join(', ');
}

function sansOf(extensionValue: Uint8Array): DecodedCertificate['sans'] {
  return children(readDer(extensionValue)).map((name) => {
    const text = fromUtf8(name.value);
    if (name.tag === 0x81) return { type: 'email' as const, value: text };
    if (name.tag === 0x86) return { type: 'uri' as const, value: text };
    if (name.tag === 0x82) return { type: 'dns' as const, value: text };
    return { type: 'other' as const, value: `[${name.tag.toString(16)}]` };
  });
}

/** .1-.6 hold the raw string; .8 onwards a DER UTF8String. */
function sigstoreValue(number: number, value: Uint8Array): string {
  if (number >= 8 && value[0] === 0x0c) return fromUtf8(readDer(value).value);
  return fromUtf8(value);
}

export function decodeCertificate(der: Uint8Array): DecodedCertificate {
  const [tbs] = children(readDer(der));
  if (!tbs) throw new Error('certificate: no TBSCertificate');
  const fields = children(tbs);
  const offset = fields[0]?.tag === 0xa0 ? 1 : 0; // explicit version
  const [serial, , issuer, validity, subject] = fields.slice(offset);
  if (!serial || !issuer || !validity || !subject) throw new Error('certificate: missing fields');
  const [notBefore, notAfter] = children(validity);
  if (!notBefore || !notAfter) throw new Error('certificate: bad validity');
  const decoded: DecodedCertificate = {
    subject: nameText(subject),
    issuer: nameText(issuer),
    serial: Array.from(serial.value, (b) => b.toString(16).padStart(2, '0')).join(''),
    notBefore: derTime(notBefore),
    notAfter: derTime(notAfter),
    sans: [],
    sigstore: [],
  };
  const extensions = fields.find((f) => f.tag === 0xa3);
  for (const extension of extensions ? children(children(extensions)[0] as Der) : []) {
    const parts = children(extension);
    const oid = oidText((parts[0] as Der).value);
    const value = (parts.at(-1) as Der).value;
    if (oid === '2.5.29.17') decoded.sans = sansOf(value);
    else if (oid.startsWith(SIGSTORE_ARC)) {
      const number = Number(oid.slice(SIGSTORE_ARC.length));
      decoded.sigstore.push({
        number,
        name: SIGSTORE_EXTENSIONS[number] ?? oid,
        value: sigstoreValue(number, value),
      });
    }
  }
  const issuerExtension =
    decoded.sigstore.find((e) => e.number === 8) ?? decoded.sigstore.find((e) => e.number === 1);
  if (issuerExtension) decoded.oidcIssuer = issuerExtension.value;
  return decoded;
}
