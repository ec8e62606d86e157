/**
 * The identity a Fulcio-style certificate vouches for: its subject alternative names (email, URI) and
 * the Sigstore extensions (OIDC issuer, GitHub workflow fields), read from the DER.
 */
import type { X509Certificate } from 'node:crypto';
import type { Certificate, OtherName } from '@peculiar/asn1-x509';
import { loadAsn1Schema, loadAsn1X509, SigilError } from '../core/index.js';

const ARC = '1.3.6.1.4.1.57264.1';

export interface CertificateIdentity {
  /** Every SAN value (emails, URIs, ...), in certificate order. */
  subjects: string[];
  issuer?: string;
  githubWorkflowTrigger?: string;
  githubWorkflowSha?: string;
  githubWorkflowName?: string;
  githubWorkflowRepository?: string;
  githubWorkflowRef?: string;
  /** Every Sigstore extension (`1.3.6.1.4.1.57264.1.N`) as text, by OID. */
  extensions: Record<string, string>;
}

export function certificateIdentity(cert: X509Certificate): CertificateIdentity {
  const { AsnConvert } = loadAsn1Schema();
  const { Certificate, id_ce_subjectAltName, SubjectAlternativeName } = loadAsn1X509();
  let parsed: Certificate;
  try {
    parsed = AsnConvert.parse(cert.raw, Certificate);
  } catch {
    throw new SigilError('BAD_CERTIFICATE', 'the signing certificate is not valid DER');
  }
  const subjects: string[] = [];
  const extensions: Record<string, string> = {};
  for (const ext of parsed.tbsCertificate.extensions ?? []) {
    const value = Buffer.from(ext.extnValue.buffer);
    if (ext.extnID === id_ce_subjectAltName) {
      for (const name of AsnConvert.parse(value, SubjectAlternativeName)) {
        const text =
          name.rfc822Name ?? name.uniformResourceIdentifier ?? name.dNSName ?? fulcioUsername(name.otherName);
        if (text !== undefined) subjects.push(text);
      }
    } else if (ext.extnID.startsWith(`${ARC}.`)) {
      extensions[ext.extnID] = extensionText(ext.extnID, value);
    }
  }
  const pick = (n: number) => extensions[`${ARC}.${n}`];
  const identity: CertificateIdentity = { subjects, extensions };
  const assign = (
    key: Exclude<keyof CertificateIdentity, 'subjects' | 'extensions'>,
    value: string | undefined,
  ) => {
    if (value !== undefined) identity[key] = value;
  };
  // The v2 issuer (.8) wins over the deprecated raw .1, as in cosign.
  assign('issuer', pick(8) ?? pick(1));
  assign('githubWorkflowTrigger', pick(2));
  assign('githubWorkflowSha', pick(3));
  assign('githubWorkflowName', pick(4));
  assign('githubWorkflowRepository', pick(5));
  assign('githubWorkflowRef', pick(6));
  return identity;
}

/** `.1`-`.6` hold raw strings; `.8` onwards hold a DER UTF8String (tag 0x0c). */
function extensionText(oid: string, value: Buffer): string {
  const n = Number(oid.slice(ARC.length + 1));
  if (n < 8 || value[0] !== 0x0c) return value.toString('utf8');
  const { offset } = derHeader(value);
  return value.subarray(offset).toString('utf8');
}

function derHeader(value: Buffer): { offset: number } {
  const first = value[1] ?? 0;
  return { offset: first < 0x80 ? 2 : 2 + (first & 0x7f) };
}

/** Fulcio's username identities (`user!domain`): an OtherName of type .7 holding a UTF8String, as cosign reads it. */
function fulcioUsername(name: OtherName | undefined): string | undefined {
  if (name?.typeId !== `${ARC}.7`) return undefined;
  const der = Buffer.from(name.value);
  // [0] EXPLICIT may or may not be kept around the value by the parser; find the UTF8String either way.
  const inner = der[0] === 0xa0 ? der.subarray(headerLength(der)) : der;
  if (inner[0] !== 0x0c) return undefined;
  return inner.subarray(headerLength(inner)).toString('utf8');
}

function headerLength(der: Buffer): number {
  const first = der[1] ?? 0;
  return first & 0x80 ? 2 + (first & 0x7f) : 2;
}
