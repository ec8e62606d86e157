/**
 * X.509 certificates kept on a PKCS#11 token beside the key, found by CKA_ID: how Fulcio's pkcs11ca keeps
 * its CA certificate (`fulcio createca --hsm-caroot-id ID` stores it, `fulcio serve` reads it back).
 */

import type pkcs11js from 'pkcs11js';
import { loadAsn1Schema, loadAsn1X509, SigilError } from '../core/index.js';
import { attribute, findObjects, loadPkcs11js, openPkcs11Session } from './pkcs11.js';
import type { Pkcs11Uri } from './pkcs11-uri.js';

const certificateTemplate = (id: Buffer): pkcs11js.Template => [
  { type: loadPkcs11js().CKA_CLASS, value: loadPkcs11js().CKO_CERTIFICATE },
  { type: loadPkcs11js().CKA_ID, value: id },
];

/** The DER certificate with CKA_ID `id` on the token, or undefined. */
export function readTokenCertificate(token: Pkcs11Uri, id: Buffer, where: string): Buffer | undefined {
  const session = openPkcs11Session(token, where);
  try {
    const [handle] = findObjects(session, certificateTemplate(id), 1);
    return handle ? attribute(session, handle, loadPkcs11js().CKA_VALUE) : undefined;
  } finally {
    session.close();
  }
}

/** Stores `der` on the token as a CKC_X_509 certificate object; refuses when `id` is taken. */
export function storeTokenCertificate(
  token: Pkcs11Uri,
  id: Buffer,
  label: string,
  der: Buffer,
  where: string,
): void {
  const session = openPkcs11Session(token, where, true);
  try {
    if (findObjects(session, certificateTemplate(id), 1).length > 0) {
      throw new SigilError('FILE_EXISTS', `${where}: the token already holds a certificate with this ID`);
    }
    // CKA_SUBJECT is the DER of the subject Name, which the certificate holds verbatim.
    const { AsnConvert } = loadAsn1Schema();
    const subject = AsnConvert.serialize(
      AsnConvert.parse(der, loadAsn1X509().Certificate).tbsCertificate.subject,
    );
    session.module.C_CreateObject(session.session, [
      ...certificateTemplate(id),
      { type: loadPkcs11js().CKA_CERTIFICATE_TYPE, value: loadPkcs11js().CKC_X_509 },
      { type: loadPkcs11js().CKA_TOKEN, value: true },
      { type: loadPkcs11js().CKA_LABEL, value: label },
      { type: loadPkcs11js().CKA_SUBJECT, value: Buffer.from(subject) },
      { type: loadPkcs11js().CKA_VALUE, value: der },
    ]);
  } finally {
    session.close();
  }
}
