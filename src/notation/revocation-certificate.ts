/**
 * What a revocation check reads from a certificate: where to ask (the AIA extension's OCSP URLs, the
 * CRL distribution points) and the raw fields an OCSP CertID is hashed from (the issuer's subject DER and
 * public key bits), taken from the DER bytes as written rather than re-encoded.
 */
import type { X509Certificate } from 'node:crypto';
import { children, readTlv, type Tlv, tlvBytes } from '../core/index.js';
import { loadX509 } from '../crypto/index.js';

export const OID_FRESHEST_CRL = '2.5.29.46';

export interface RevocationEndpoints {
  ocsp: string[];
  crl: string[];
  /** The certificate names a delta CRL location itself (notation refuses that form; see crl.ts). */
  freshestCrl: boolean;
}

export function revocationEndpoints(certificate: X509Certificate): RevocationEndpoints {
  const x509 = loadX509();
  const parsed = new x509.X509Certificate(certificate.raw);
  const aia = parsed.getExtension(x509.AuthorityInfoAccessExtension);
  const ocsp = (aia?.ocsp ?? []).filter((name) => name.type === 'url').map((name) => name.value);
  const cdp = parsed.getExtension(x509.CRLDistributionPointsExtension);
  return {
    ocsp,
    crl: distributionPointUrls(cdp?.distributionPoints ?? []),
    freshestCrl: parsed.getExtension(OID_FRESHEST_CRL) !== null,
  };
}

/** The URIs of the full names of CRL distribution points (as Go's x509 reads them). */
export function distributionPointUrls(
  points: ReadonlyArray<{
    distributionPoint?: { fullName?: ReadonlyArray<{ uniformResourceIdentifier?: string }> };
  }>,
): string[] {
  return points.flatMap((point) =>
    (point.distributionPoint?.fullName ?? []).flatMap((name) =>
      name.uniformResourceIdentifier ? [name.uniformResourceIdentifier] : [],
    ),
  );
}

/** The TBS fields of a DER certificate by position: [version], serial, signature, issuer, validity, subject, spki. */
interface TbsFields {
  serial: Tlv;
  subject: Tlv;
  publicKeyInfo: Tlv;
}

function tbsFields(der: Buffer): TbsFields {
  const where = 'certificate';
  const certificate = readTlv(der, 0, where);
  const [tbs] = children(der, certificate, where);
  if (!tbs) throw new Error('certificate has no TBSCertificate');
  const fields = children(der, tbs, where);
  const offset = fields[0]?.tag === 0xa0 ? 1 : 0; // [0] EXPLICIT version is present from v2 on
  const serial = fields[offset];
  const subject = fields[offset + 4];
  const publicKeyInfo = fields[offset + 5];
  if (!serial || !subject || !publicKeyInfo) throw new Error('certificate TBS is missing fields');
  return { serial, subject, publicKeyInfo };
}

/** The subject Name's DER bytes (what issuerNameHash covers). */
export function subjectDer(certificate: X509Certificate): Buffer {
  return tlvBytes(certificate.raw, tbsFields(certificate.raw).subject);
}

/** The subjectPublicKey BIT STRING's bits without the unused-bits byte (what issuerKeyHash covers). */
export function publicKeyBits(certificate: X509Certificate): Buffer {
  const der = certificate.raw;
  const [, bits] = children(der, tbsFields(der).publicKeyInfo, 'subjectPublicKeyInfo');
  if (bits?.tag !== 0x03) throw new Error('subjectPublicKeyInfo has no BIT STRING');
  return der.subarray(bits.contents + 1, bits.end);
}

/** The serial number's INTEGER content octets, as they appear in an OCSP CertID. */
export function serialContent(certificate: X509Certificate): Buffer {
  const der = certificate.raw;
  const serial = tbsFields(der).serial;
  return der.subarray(serial.contents, serial.end);
}

/** A subject as Go's pkix.Name prints it (most specific first, comma separated), as notation's messages. */
export function subjectText(certificate: X509Certificate): string {
  return certificate.subject.split('\n').reverse().join(',');
}
