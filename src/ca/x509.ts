/**
 * Builds X.509 v3 certificates (RFC 5280) from typed ASN.1 structures, so that the to-be-signed part can
 * be serialized on its own: the CT precertificate flow signs an SCT over the TBS before the SCT list
 * extension is added, and the final TBS must differ from it only by that extension.
 */
import { createHash, type KeyObject, randomBytes, X509Certificate } from 'node:crypto';
import type {
  Extension,
  GeneralName,
  Name,
  RelativeDistinguishedName,
  SubjectAlternativeName,
  TBSCertificate,
} from '@peculiar/asn1-x509';
import { loadAsn1Schema, loadAsn1X509, SigilError } from '../core/index.js';
import type { Signer } from '../crypto/index.js';
import { derUtf8String } from './der.js';

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
const SIGNATURE_ALGORITHMS: Record<string, { oid: string }> = {
  'ec:prime256v1': { oid: '1.2.840.10045.4.3.2' },
  'ec:secp384r1': { oid: '1.2.840.10045.4.3.3' },
  'ec:secp521r1': { oid: '1.2.840.10045.4.3.4' },
};

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

export interface CertificateTemplate {
  subject: DistinguishedName;
  /** The issuer's name, or its certificate (whose subject is then copied byte for byte). */
  issuer: DistinguishedName | X509Certificate;
  subjectPublicKey: KeyObject;
  notBefore: Date;
  notAfter: Date;
  /** A CA certificate may sign others; `pathLength` limits the intermediates below it. */
  ca?: { pathLength?: number };
  codeSigning?: boolean;
  subjectAltNames?: SubjectAltNames;
  /** Extensions outside RFC 5280: OID, DER value, critical flag. */
  extra?: Array<{ oid: string; value: Uint8Array; critical?: boolean }>;
  /** The issuer's public key, for the authority key identifier (omitted for self-signed roots). */
  issuerPublicKey?: KeyObject;
}

/** A certificate in the making: its TBS can be serialized and extended before it is signed. */
export class CertificateDraft {
  constructor(
    readonly tbs: TBSCertificate,
    private readonly signer: Signer,
  ) {}

  tbsDer(): Buffer {
    return Buffer.from(loadAsn1Schema().AsnConvert.serialize(this.tbs));
  }

  addExtension(oid: string, value: Uint8Array, critical = false): void {
    this.tbs.extensions ??= new (loadAsn1X509().Extensions)();
    this.tbs.extensions.push(extension(oid, value, critical));
  }

  /** Puts another extension in the place of `oid`'s (the precertificate's poison becomes the SCT list). */
  replaceExtension(oid: string, newOid: string, value: Uint8Array, critical = false): void {
    const extensions = this.tbs.extensions ?? [];
    const at = extensions.findIndex((ext) => ext.extnID === oid);
    if (at < 0) throw new SigilError('BAD_CERTIFICATE', `the certificate has no extension ${oid} to replace`);
    extensions[at] = extension(newOid, value, critical);
  }

  /** Async because the issuing key may live on a PKCS#11 token. */
  async sign(): Promise<Buffer> {
    const { AlgorithmIdentifier, Certificate } = loadAsn1X509();
    const algorithm = signatureAlgorithm(this.signer.publicKey);
    const signature = await this.signer.sign(this.tbsDer());
    const certificate = new Certificate({
      tbsCertificate: this.tbs,
      signatureAlgorithm: new AlgorithmIdentifier({ algorithm: algorithm.oid }),
      signatureValue: toArrayBuffer(signature),
    });
    return Buffer.from(loadAsn1Schema().AsnConvert.serialize(certificate));
  }
}

export function draftCertificate(template: CertificateTemplate, signer: Signer): CertificateDraft {
  const { AsnConvert } = loadAsn1Schema();
  const {
    AlgorithmIdentifier,
    Certificate,
    Extensions,
    SubjectPublicKeyInfo,
    TBSCertificate,
    Validity,
    Version,
  } = loadAsn1X509();
  const spki = template.subjectPublicKey.export({ type: 'spki', format: 'der' });
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: toArrayBuffer(serialNumber()),
    signature: new AlgorithmIdentifier({ algorithm: signatureAlgorithm(signer.publicKey).oid }),
    issuer:
      template.issuer instanceof X509Certificate
        ? AsnConvert.parse(template.issuer.raw, Certificate).tbsCertificate.subject
        : distinguishedName(template.issuer),
    validity: new Validity({ notBefore: template.notBefore, notAfter: template.notAfter }),
    subject: distinguishedName(template.subject),
    subjectPublicKeyInfo: AsnConvert.parse(spki, SubjectPublicKeyInfo),
    extensions: new Extensions(standardExtensions(template, spki)),
  });
  for (const ext of template.extra ?? [])
    tbs.extensions?.push(extension(ext.oid, ext.value, ext.critical ?? false));
  return new CertificateDraft(tbs, signer);
}

function standardExtensions(template: CertificateTemplate, spki: Buffer): Extension[] {
  const { AsnConvert } = loadAsn1Schema();
  const {
    AuthorityKeyIdentifier,
    BasicConstraints,
    ExtendedKeyUsage,
    KeyIdentifier,
    KeyUsage,
    KeyUsageFlags,
    SubjectKeyIdentifier,
  } = loadAsn1X509();
  const extensions: Extension[] = [];
  const usage = template.ca
    ? KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign
    : KeyUsageFlags.digitalSignature;
  extensions.push(extension(OID.keyUsage, AsnConvert.serialize(new KeyUsage(usage)), true));
  if (template.codeSigning) {
    extensions.push(
      extension(OID.extKeyUsage, AsnConvert.serialize(new ExtendedKeyUsage([OID.codeSigning])), false),
    );
  }
  if (template.ca) {
    const constraints = new BasicConstraints({ cA: true, pathLenConstraint: template.ca.pathLength });
    extensions.push(extension(OID.basicConstraints, AsnConvert.serialize(constraints), true));
  }
  extensions.push(
    extension(
      OID.subjectKeyIdentifier,
      AsnConvert.serialize(new SubjectKeyIdentifier(keyIdentifier(spki))),
      false,
    ),
  );
  if (template.issuerPublicKey) {
    const issuerSpki = template.issuerPublicKey.export({ type: 'spki', format: 'der' });
    const aki = new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(keyIdentifier(issuerSpki)) });
    extensions.push(extension(OID.authorityKeyIdentifier, AsnConvert.serialize(aki), false));
  }
  const names = subjectAltNames(template.subjectAltNames);
  // A certificate whose subject is empty must mark its SAN critical (RFC 5280 4.2.1.6).
  if (names) extensions.push(extension(OID.subjectAltName, AsnConvert.serialize(names), true));
  return extensions;
}

function subjectAltNames(names: SubjectAltNames | undefined): SubjectAlternativeName | undefined {
  const { GeneralName, OtherName, SubjectAlternativeName } = loadAsn1X509();
  const general: GeneralName[] = [];
  if (names?.email) general.push(new GeneralName({ rfc822Name: names.email }));
  if (names?.uri) general.push(new GeneralName({ uniformResourceIdentifier: names.uri }));
  if (names?.otherName) {
    const { oid, value } = names.otherName;
    general.push(
      new GeneralName({
        otherName: new OtherName({ typeId: oid, value: toArrayBuffer(derUtf8String(value)) }),
      }),
    );
  }
  return general.length > 0 ? new SubjectAlternativeName(general) : undefined;
}

function extension(oid: string, value: ArrayBuffer | Uint8Array, critical: boolean): Extension {
  const { OctetString } = loadAsn1Schema();
  const { Extension } = loadAsn1X509();
  return new Extension({ extnID: oid, critical, extnValue: new OctetString(toArrayBuffer(value)) });
}

function distinguishedName(name: DistinguishedName): Name {
  const { AttributeTypeAndValue, AttributeValue, Name, RelativeDistinguishedName } = loadAsn1X509();
  const rdns: RelativeDistinguishedName[] = [];
  const add = (type: string, value: string | undefined) => {
    if (value === undefined) return;
    const attribute = new AttributeTypeAndValue({ type, value: new AttributeValue({ utf8String: value }) });
    rdns.push(new RelativeDistinguishedName([attribute]));
  };
  add(OID.organization, name.organization);
  add(OID.commonName, name.commonName);
  return new Name(rdns);
}

/** RFC 5280 method 1: SHA-1 of the subject public key bit string (here: of the SPKI, as Fulcio does). */
function keyIdentifier(spki: Buffer): ArrayBuffer {
  return toArrayBuffer(createHash('sha1').update(spki).digest());
}

/** 20 random bytes, top bit cleared so the INTEGER stays positive (RFC 5280: at most 20 octets). */
function serialNumber(): Buffer {
  const serial = randomBytes(20);
  serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x01;
  return serial;
}

function signatureAlgorithm(key: KeyObject): { oid: string } {
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

function toArrayBuffer(bytes: ArrayBuffer | Uint8Array): ArrayBuffer {
  if (bytes instanceof ArrayBuffer) return bytes;
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}
