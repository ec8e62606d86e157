/**
 * Builds X.509 v3 certificates (RFC 5280) by writing their DER directly: the structure of what this CA
 * issues is fixed, and writing bytes costs a fraction of building and serializing typed ASN.1 objects,
 * which matters at hundreds of certificates a second. The to-be-signed part can be serialized on its own:
 * the CT precertificate flow signs an SCT over the TBS before the SCT list extension is added, and the
 * final TBS must differ from it only by that extension.
 */
import { createHash, type KeyObject, randomBytes, type X509Certificate } from 'node:crypto';
import {
  children,
  derBitString,
  derBoolean,
  derContext,
  derContextPrimitive,
  derInteger,
  derNamedBits,
  derOctetString,
  derOid,
  derSequence,
  derSetOf,
  derTime,
  derUtf8String,
  expectTag,
  integerContent,
  readTlv,
  SigilError,
  tlvBytes,
} from '../core/index.js';
import type { Signer } from '../crypto/index.js';

export const OID = {
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  codeSigning: '1.3.6.1.5.5.7.3.3',
  sctList: '1.3.6.1.4.1.11129.2.4.2',
  ctPoison: '1.3.6.1.4.1.11129.2.4.3',
  organization: '2.5.4.10',
  commonName: '2.5.4.3',
} as const;

// The hash in each OID is the one the Signer pairs with the curve (crypto/signer.ts hashFor).
const SIGNATURE_ALGORITHMS: Record<string, string> = {
  'ec:prime256v1': '1.2.840.10045.4.3.2',
  'ec:secp384r1': '1.2.840.10045.4.3.3',
  'ec:secp521r1': '1.2.840.10045.4.3.4',
};

/** KeyUsage bits (RFC 5280 4.2.1.3). */
const KEY_USAGE = { digitalSignature: 0, keyCertSign: 5, cRLSign: 6 } as const;
const VERSION_3 = derContext(0, derInteger(Buffer.from([2])));
const TAG_SEQUENCE = 0x30;

export interface DistinguishedName {
  organization?: string;
  commonName?: string;
}

export interface SubjectAltNames {
  email?: string;
  uri?: string;
  /** An RFC 5280 OtherName whose value is a UTF8String (Fulcio's username identities). */
  otherName?: { oid: string; value: string };
}

/** What a certificate takes from its issuer: its name, and (unless self-signed) its key's identifier. */
export interface CertificateIssuer {
  /** The DER Name. */
  name: Buffer;
  /** For the authority key identifier. */
  keyIdentifier?: Buffer;
}

export interface CertificateTemplate {
  subject: DistinguishedName;
  issuer: CertificateIssuer;
  /** The key to certify, or its SubjectPublicKeyInfo DER when the caller already has it. */
  subjectPublicKey: KeyObject | Buffer;
  notBefore: Date;
  notAfter: Date;
  /** A CA certificate may sign others; `pathLength` limits the intermediates below it. */
  ca?: { pathLength?: number };
  codeSigning?: boolean;
  subjectAltNames?: SubjectAltNames;
  /** Extensions outside RFC 5280: OID, DER value, critical flag. */
  extra?: Array<{ oid: string; value: Uint8Array; critical?: boolean }>;
}

/** An issuer by name; with its public key the certificates it issues carry an authority key identifier. */
export function namedIssuer(name: DistinguishedName, publicKey?: KeyObject): CertificateIssuer {
  return {
    name: distinguishedName(name),
    ...(publicKey ? { keyIdentifier: keyIdentifier(spkiOf(publicKey)) } : {}),
  };
}

/**
 * The issuer a certificate stands for: its subject copied byte for byte, and its key's identifier. Worth
 * computing once per issuing certificate, not per certificate issued.
 */
export function certificateIssuer(certificate: X509Certificate): CertificateIssuer {
  const der = certificate.raw;
  const where = 'issuer certificate';
  const outer = readTlv(der, 0, where);
  expectTag(outer, TAG_SEQUENCE, where);
  const tbs = readTlv(der, outer.contents, `${where} TBSCertificate`);
  expectTag(tbs, TAG_SEQUENCE, `${where} TBSCertificate`);
  // version [0] (present in v3), serialNumber, signature, issuer, validity, subject
  const fields = children(der, tbs, `${where} TBSCertificate`);
  const subject = fields[fields[0]?.tag === 0xa0 ? 5 : 4];
  if (!subject) throw new SigilError('BAD_CERTIFICATE', `${where} has no subject`);
  expectTag(subject, TAG_SEQUENCE, `${where} subject`);
  return {
    name: Buffer.from(tlvBytes(der, subject)),
    keyIdentifier: keyIdentifier(spkiOf(certificate.publicKey)),
  };
}

interface EncodedExtension {
  oid: string;
  der: Buffer;
}

/** A certificate in the making: its TBS can be serialized and extended before it is signed. */
export class CertificateDraft {
  constructor(
    /** The TBS fields before the extensions (version to subjectPublicKeyInfo), encoded. */
    private readonly fields: Buffer,
    private readonly extensions: EncodedExtension[],
    private readonly signer: Signer,
    private readonly algorithm: Buffer,
  ) {}

  tbsDer(): Buffer {
    return derSequence(this.fields, derContext(3, derSequence(...this.extensions.map((ext) => ext.der))));
  }

  addExtension(oid: string, value: Uint8Array, critical = false): void {
    this.extensions.push(extension(oid, value, critical));
  }

  /** Puts another extension in the place of `oid`'s (the precertificate's poison becomes the SCT list). */
  replaceExtension(oid: string, newOid: string, value: Uint8Array, critical = false): void {
    const at = this.extensions.findIndex((ext) => ext.oid === oid);
    if (at < 0) throw new SigilError('BAD_CERTIFICATE', `the certificate has no extension ${oid} to replace`);
    this.extensions[at] = extension(newOid, value, critical);
  }

  /** Async because the issuing key may live on a PKCS#11 token. */
  async sign(): Promise<Buffer> {
    const tbs = this.tbsDer();
    const signature = await this.signer.sign(tbs);
    return derSequence(tbs, this.algorithm, derBitString(signature));
  }
}

export function draftCertificate(template: CertificateTemplate, signer: Signer): CertificateDraft {
  const { subjectPublicKey } = template;
  const spki = Buffer.isBuffer(subjectPublicKey) ? subjectPublicKey : spkiOf(subjectPublicKey);
  const algorithm = derSequence(derOid(signatureAlgorithm(signer.publicKey)));
  const fields = Buffer.concat([
    VERSION_3,
    derInteger(serialNumber()),
    algorithm,
    template.issuer.name,
    derSequence(derTime(template.notBefore), derTime(template.notAfter)),
    distinguishedName(template.subject),
    spki,
  ]);
  const extensions = standardExtensions(template, spki);
  for (const ext of template.extra ?? [])
    extensions.push(extension(ext.oid, ext.value, ext.critical ?? false));
  return new CertificateDraft(fields, extensions, signer, algorithm);
}

function standardExtensions(template: CertificateTemplate, spki: Buffer): EncodedExtension[] {
  const extensions: EncodedExtension[] = [];
  const usage = template.ca ? [KEY_USAGE.keyCertSign, KEY_USAGE.cRLSign] : [KEY_USAGE.digitalSignature];
  extensions.push(extension(OID.keyUsage, derNamedBits(usage), true));
  if (template.codeSigning) {
    extensions.push(extension(OID.extKeyUsage, derSequence(derOid(OID.codeSigning)), false));
  }
  if (template.ca) {
    const { pathLength } = template.ca;
    const constraints = derSequence(
      derBoolean(true),
      ...(pathLength === undefined ? [] : [derInteger(integerContent(BigInt(pathLength)))]),
    );
    extensions.push(extension(OID.basicConstraints, constraints, true));
  }
  extensions.push(extension(OID.subjectKeyIdentifier, derOctetString(keyIdentifier(spki)), false));
  const { keyIdentifier: issuerKeyId } = template.issuer;
  if (issuerKeyId) {
    // AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] IMPLICIT OCTET STRING OPTIONAL, ... }
    const aki = derSequence(derContextPrimitive(0, issuerKeyId));
    extensions.push(extension(OID.authorityKeyIdentifier, aki, false));
  }
  const names = subjectAltNames(template.subjectAltNames);
  // A certificate whose subject is empty must mark its SAN critical (RFC 5280 4.2.1.6).
  if (names) extensions.push(extension(OID.subjectAltName, names, true));
  return extensions;
}

/** GeneralNames: rfc822Name [1], uniformResourceIdentifier [6], otherName [0] (RFC 5280 4.2.1.6). */
function subjectAltNames(names: SubjectAltNames | undefined): Buffer | undefined {
  const general: Buffer[] = [];
  if (names?.email) general.push(derContextPrimitive(1, Buffer.from(names.email, 'latin1')));
  if (names?.uri) general.push(derContextPrimitive(6, Buffer.from(names.uri, 'latin1')));
  if (names?.otherName) {
    const { oid, value } = names.otherName;
    // OtherName ::= SEQUENCE { type-id OID, value [0] EXPLICIT ANY }, IMPLICIT [0] in GeneralName.
    general.push(derContext(0, derOid(oid), derContext(0, derUtf8String(value))));
  }
  return general.length > 0 ? derSequence(...general) : undefined;
}

function extension(oid: string, value: Uint8Array, critical: boolean): EncodedExtension {
  // Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }
  const der = critical
    ? derSequence(derOid(oid), derBoolean(true), derOctetString(value))
    : derSequence(derOid(oid), derOctetString(value));
  return { oid, der };
}

function distinguishedName(name: DistinguishedName): Buffer {
  const rdns: Buffer[] = [];
  const add = (type: string, value: string | undefined) => {
    if (value !== undefined) rdns.push(derSetOf([derSequence(derOid(type), derUtf8String(value))]));
  };
  add(OID.organization, name.organization);
  add(OID.commonName, name.commonName);
  return derSequence(...rdns);
}

function spkiOf(key: KeyObject): Buffer {
  return key.export({ type: 'spki', format: 'der' });
}

/** RFC 5280 method 1: SHA-1 of the subject public key bit string (here: of the SPKI, as Fulcio does). */
function keyIdentifier(spki: Buffer): Buffer {
  return createHash('sha1').update(spki).digest();
}

/** 20 random bytes, top bit cleared so the INTEGER stays positive (RFC 5280: at most 20 octets). */
function serialNumber(): Buffer {
  const serial = randomBytes(20);
  serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x01;
  return serial;
}

function signatureAlgorithm(key: KeyObject): string {
  const curve = key.asymmetricKeyDetails?.namedCurve;
  const algorithm = SIGNATURE_ALGORITHMS[`${key.asymmetricKeyType}:${curve}`];
  if (!algorithm) {
    throw new SigilError(
      'UNSUPPORTED',
      `CA keys must be ECDSA P-256, P-384 or P-521, not ${key.asymmetricKeyType}`,
    );
  }
  return algorithm;
}
