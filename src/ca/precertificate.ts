/**
 * RFC 6962 precertificates: a certificate carrying the critical "poison" extension, which a CT log turns
 * into the TBS it logs by removing that extension. The removal works on the DER bytes and leaves every
 * other byte as the CA wrote it, so the logged TBS is exactly the final certificate's TBS minus its SCT
 * list, whichever CA (and ASN.1 library) made it. The same surgery on a final certificate gives what its
 * embedded SCTs signed.
 */
import { children, expectTag, readTlv, SigilError, type Tlv, tlv, tlvBytes } from '../core/index.js';

/** DER of the poison extension's OID, 1.3.6.1.4.1.11129.2.4.3. */
const POISON_OID = Buffer.from('060a2b06010401d679020403', 'hex');
/** DER of the SCT list extension's OID, 1.3.6.1.4.1.11129.2.4.2. */
const SCT_LIST_OID = Buffer.from('060a2b06010401d679020402', 'hex');
const TAG_SEQUENCE = 0x30;
const TAG_EXTENSIONS = 0xa3;
const TAG_BOOLEAN = 0x01;
const TAG_OCTET_STRING = 0x04;

/**
 * The TBSCertificate of a precertificate without its poison extension. Throws when the certificate is
 * not DER, has no poison extension, or its poison extension is not critical (RFC 6962 3.1).
 */
export function precertificateTbs(certificateDer: Buffer): Buffer {
  const where = 'precertificate';
  const { tbs, removed } = withoutExtension(certificateDer, POISON_OID, where);
  if (!removed) {
    throw new SigilError('BAD_CERTIFICATE', `${where} has no CT poison extension (1.3.6.1.4.1.11129.2.4.3)`);
  }
  if (!isCritical(certificateDer, removed)) {
    throw new SigilError('BAD_CERTIFICATE', `${where}'s CT poison extension is not marked critical`);
  }
  return tbs;
}

/**
 * What the CT log signed for a final certificate's embedded SCTs (RFC 6962 3.2): its TBS without the SCT
 * list extension, and that extension's value (the DER OCTET STRING around the TLS-encoded list).
 */
export function embeddedSctTbs(certificateDer: Buffer, where: string): { tbs: Buffer; sctList: Buffer } {
  const { tbs, removed } = withoutExtension(certificateDer, SCT_LIST_OID, where);
  if (!removed) throw new SigilError('BAD_CERTIFICATE', `${where} has no embedded SCT`);
  const [, ...rest] = children(certificateDer, removed, `${where} SCT extension`);
  const value = rest.at(-1);
  if (!value || value.tag !== TAG_OCTET_STRING) {
    throw new SigilError('BAD_CERTIFICATE', `${where}: malformed SCT list extension`);
  }
  const inner = readTlv(certificateDer, value.contents, `${where} SCT list`);
  expectTag(inner, TAG_OCTET_STRING, `${where} SCT list`);
  return { tbs, sctList: certificateDer.subarray(inner.contents, inner.end) };
}

/** The TBS with the extension of DER OID `oid` taken out (every other byte as it was), and that extension. */
function withoutExtension(
  certificateDer: Buffer,
  oid: Buffer,
  where: string,
): { tbs: Buffer; removed: Tlv | undefined } {
  const certificate = readTlv(certificateDer, 0, where);
  expectTag(certificate, TAG_SEQUENCE, where);
  const tbs = readTlv(certificateDer, certificate.contents, `${where} TBSCertificate`);
  expectTag(tbs, TAG_SEQUENCE, `${where} TBSCertificate`);
  const fields = children(certificateDer, tbs, `${where} TBSCertificate`);
  const extensionsField = fields.find((field) => field.tag === TAG_EXTENSIONS);
  if (!extensionsField) throw new SigilError('BAD_CERTIFICATE', `${where} has no extensions`);
  const list = readTlv(certificateDer, extensionsField.contents, `${where} extensions`);
  expectTag(list, TAG_SEQUENCE, `${where} extensions`);
  const extensions = children(certificateDer, list, `${where} extensions`);
  const removed = extensions.find((ext) =>
    tlvBytes(certificateDer, readTlv(certificateDer, ext.contents, 'extension')).equals(oid),
  );
  const kept = extensions.filter((ext) => ext !== removed).map((ext) => tlvBytes(certificateDer, ext));
  // An empty Extensions SEQUENCE is not valid DER (SIZE (1..MAX)): the field goes with its last member.
  const newExtensionsField =
    kept.length > 0 ? tlv(TAG_EXTENSIONS, tlv(TAG_SEQUENCE, Buffer.concat(kept))) : Buffer.alloc(0);
  const newFields = fields.map((field) =>
    field === extensionsField ? newExtensionsField : tlvBytes(certificateDer, field),
  );
  return { tbs: tlv(TAG_SEQUENCE, Buffer.concat(newFields)), removed };
}

function isCritical(der: Buffer, extension: Tlv): boolean {
  const [, second] = children(der, extension, 'poison extension');
  return second?.tag === TAG_BOOLEAN && der[second.contents] !== 0;
}
