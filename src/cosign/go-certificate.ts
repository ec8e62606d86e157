/**
 * A certificate as cosign's `download signature` prints it: Go's encoding/json over `*x509.Certificate`,
 * which writes the struct's exported fields. The byte fields (DER of the whole certificate and of its
 * parts) and the validity are given under Go's names and in Go's order, so `jq -r .Cert.Raw` and friends
 * work; the parsed fields Go adds (extensions, names as structs, key objects) are left out.
 */
import type { Certificate } from '@peculiar/asn1-x509';
import { decodePemBlocks, loadAsn1Schema, loadAsn1X509, SigilError } from '../core/index.js';

export interface GoCertificateJson {
  Raw: string;
  RawTBSCertificate: string;
  RawSubjectPublicKeyInfo: string;
  RawSubject: string;
  RawIssuer: string;
  Signature: string;
  Version: number;
  NotBefore: string;
  NotAfter: string;
}

/** Every certificate in `pem` (cosign's `cryptoutils.LoadCertificatesFromPEM`), in Go's JSON form. */
export function goCertificatesJson(pem: string, where: string): GoCertificateJson[] {
  return decodePemBlocks(pem, where)
    .filter((block) => block.label === 'CERTIFICATE')
    .map((block, i) => goCertificateJson(block.der, `${where}: certificate ${i + 1}`));
}

function goCertificateJson(der: Buffer, where: string): GoCertificateJson {
  const { AsnConvert } = loadAsn1Schema();
  let certificate: Certificate;
  try {
    certificate = AsnConvert.parse(der, loadAsn1X509().Certificate);
  } catch (err) {
    throw new SigilError('BAD_PEM', `${where}: not an X.509 certificate: ${(err as Error).message}`);
  }
  const tbs = certificate.tbsCertificate;
  const base64 = (value: ArrayBuffer) => Buffer.from(value).toString('base64');
  return {
    Raw: der.toString('base64'),
    RawTBSCertificate: base64(AsnConvert.serialize(tbs)),
    RawSubjectPublicKeyInfo: base64(AsnConvert.serialize(tbs.subjectPublicKeyInfo)),
    RawSubject: base64(AsnConvert.serialize(tbs.subject)),
    RawIssuer: base64(AsnConvert.serialize(tbs.issuer)),
    Signature: base64(certificate.signatureValue),
    // ASN.1 stores version 3 as 2; Go reports the human number.
    Version: tbs.version + 1,
    NotBefore: goTime(tbs.validity.notBefore.getTime()),
    NotAfter: goTime(tbs.validity.notAfter.getTime()),
  };
}

/** Go's time.Time JSON (RFC 3339, UTC, no fractional seconds when there are none). */
function goTime(time: Date): string {
  return time.toISOString().replace(/\.000Z$/, 'Z');
}
