/**
 * Verifying an RFC 3161 TimeStampToken (a CMS SignedData over a TSTInfo) as a Notation timestamp
 * countersignature, as the trust store and trust policy specification lists the steps and
 * tspclient-go does them: one signer, whose certificate the token carries; signed attributes with
 * contentType TSTInfo, the TSTInfo's digest and a signing-certificate-v2 that names that certificate
 * (RFC 5816); the signature; a chain from the signer to a root of the `tsa` trust store, valid at the
 * token's time; the timestamping certificate requirements (an end entity whose only extended key usage
 * is id-kp-timeStamping, marked critical, under CA certificates); and the message imprint over the
 * signature bytes it countersigns. The result is the time range RFC 3161 2.4.2 allows (genTime ±
 * accuracy).
 */
import { createHash, verify, X509Certificate } from 'node:crypto';
import type { SignedData } from '@peculiar/asn1-cms';
import type { TSTInfo } from '@peculiar/asn1-tsp';
import {
  children,
  loadAsn1Cms,
  loadAsn1Schema,
  loadAsn1Tsp,
  loadAsn1X509,
  messageOf,
  oidText,
  readTlv,
  SigilError,
  tlvBytes,
} from '../core/index.js';
import { hashByOid, OID as TSA_OID } from '../tsa/index.js';
import { subjectText } from './revocation-certificate.js';
import { SIGNATURE_HASHES } from './signature-algorithms.js';

const OID = {
  ...TSA_OID,
  /** ETSI baseline time-stamp policy (RFC 3628 5.2): an accuracy of one second when none is stated. */
  baselinePolicy: '0.4.0.2023.1.1',
} as const;

const MAX_CHAIN_LENGTH = 8;

export interface TimestampTokenInfo {
  genTime: Date;
  /** genTime minus and plus the accuracy: the signature existed no later than `upper`. */
  lower: Date;
  upper: Date;
  /** The TSA's chain, leaf first, ending at the trusted root. */
  tsaChain: X509Certificate[];
}

/** Verifies `token` (DER TimeStampToken) as a countersignature of `signature` under `trustedRoots`. */
export function verifyTimestampToken(
  token: Uint8Array,
  signature: Uint8Array,
  trustedRoots: readonly X509Certificate[],
): TimestampTokenInfo {
  const fail = (reason: string): never => {
    throw new SigilError('SIGNATURE_MISMATCH', `timestamp countersignature: ${reason}`);
  };
  const { signedData, tstInfo, eContent } = parseToken(token, fail);
  const certificates = (signedData.certificates ?? []).flatMap((choice) =>
    choice.certificate
      ? [new X509Certificate(Buffer.from(loadAsn1Schema().AsnConvert.serialize(choice.certificate)))]
      : [],
  );
  if (signedData.signerInfos.length !== 1)
    fail(`the token has ${signedData.signerInfos.length} signers, not one`);
  const signerInfo = signedData.signerInfos[0];
  if (!signerInfo) return fail('the token has no signer');
  const signer = certificates.find((certificate) => identifies(signerInfo.sid, certificate));
  if (!signer) return fail('the token does not carry its signer certificate');
  const digestHash = hashByOid(signerInfo.digestAlgorithm.algorithm);
  if (!digestHash) return fail(`digest algorithm ${signerInfo.digestAlgorithm.algorithm} is not supported`);

  const attributes = new Map(
    (signerInfo.signedAttrs ?? []).map((a) => [
      a.attrType,
      Buffer.from(a.attrValues[0] ?? new ArrayBuffer(0)),
    ]),
  );
  const contentType = attributes.get(OID.contentType);
  if (!contentType || oidValue(contentType) !== OID.tstInfo) {
    fail('the signed contentType attribute is not TSTInfo');
  }
  const messageDigest = attributes.get(OID.messageDigest);
  const expectedDigest = createHash(digestHash).update(eContent).digest();
  if (!messageDigest || !unwrapOctets(messageDigest).equals(expectedDigest))
    fail('the signed messageDigest does not match the TSTInfo');
  const signingCertificate = attributes.get(OID.signingCertificateV2);
  if (!signingCertificate) return fail('the signing-certificate-v2 attribute is missing');
  if (!namesCertificate(signingCertificate, signer))
    fail('the signing-certificate-v2 attribute names another certificate');

  const signedBytes =
    signedAttributesAsSigned(Buffer.from(token)) ?? fail('the signer has no signed attributes');
  const algorithm = signerInfo.signatureAlgorithm.algorithm;
  const hash = SIGNATURE_HASHES[algorithm];
  if (hash === undefined) return fail(`signature algorithm ${algorithm} is not supported`);
  const valid = safeVerify(
    hash === 'digest' ? digestHash : hash,
    signedBytes,
    signer,
    Buffer.from(signerInfo.signature.buffer),
  );
  if (!valid) fail('the TSA signature does not verify');

  const imprintHash = hashByOid(tstInfo.messageImprint.hashAlgorithm.algorithm);
  if (!imprintHash)
    return fail(`message imprint hash ${tstInfo.messageImprint.hashAlgorithm.algorithm} is not supported`);
  const imprint = Buffer.from(tstInfo.messageImprint.hashedMessage.buffer);
  if (!imprint.equals(createHash(imprintHash).update(signature).digest())) {
    fail('the timestamp is over other bytes than the signature');
  }

  const genTime = tstInfo.genTime;
  const tsaChain = chainToRoot(signer, certificates, trustedRoots, genTime, fail);
  validateTimestampingChain(tsaChain, fail);
  const accuracyMs = accuracyOf(tstInfo);
  return {
    genTime,
    lower: new Date(genTime.getTime() - accuracyMs),
    upper: new Date(genTime.getTime() + accuracyMs),
    tsaChain,
  };
}

function parseToken(
  token: Uint8Array,
  fail: (reason: string) => never,
): { signedData: SignedData; tstInfo: TSTInfo; eContent: Buffer } {
  const { AsnConvert } = loadAsn1Schema();
  const cms = loadAsn1Cms();
  try {
    const contentInfo = AsnConvert.parse(token, cms.ContentInfo);
    if (contentInfo.contentType !== OID.signedData)
      fail(`content type ${contentInfo.contentType} is not SignedData`);
    const signedData = AsnConvert.parse(contentInfo.content, cms.SignedData);
    const { eContentType, eContent } = signedData.encapContentInfo;
    const bytes = eContent?.single?.buffer ?? eContent?.any;
    if (eContentType !== OID.tstInfo || !bytes) return fail('the token does not encapsulate a TSTInfo');
    const tstInfo = AsnConvert.parse(bytes, loadAsn1Tsp().TSTInfo);
    return { signedData, tstInfo, eContent: Buffer.from(bytes) };
  } catch (err) {
    if (err instanceof SigilError) throw err;
    return fail(`malformed TimeStampToken (${messageOf(err)})`);
  }
}

/**
 * The signer's signed attributes as the bytes were signed: taken from the token as written (a parser's
 * re-encoding may reorder them), ContentInfo → [0] SignedData → signerInfos (its last field) → [0].
 */
function signedAttributesAsSigned(token: Buffer): Buffer | undefined {
  const [, explicit] = children(token, readTlv(token, 0, 'ContentInfo'), 'ContentInfo');
  const [signedData] = explicit ? children(token, explicit, 'content') : [];
  const signerInfos = signedData ? children(token, signedData, 'SignedData').at(-1) : undefined;
  const [signerInfo] = signerInfos ? children(token, signerInfos, 'signerInfos') : [];
  const attributes = signerInfo
    ? children(token, signerInfo, 'SignerInfo').find((field) => field.tag === 0xa0)
    : undefined;
  if (!attributes) return undefined;
  const bytes = Buffer.from(tlvBytes(token, attributes));
  bytes[0] = 0x31; // the [0] IMPLICIT tag is signed as the SET OF it stands for (RFC 5652 5.4)
  return bytes;
}

function identifies(sid: SignedData['signerInfos'][number]['sid'], certificate: X509Certificate): boolean {
  const { AsnConvert } = loadAsn1Schema();
  const parsed = AsnConvert.parse(certificate.raw, loadAsn1X509().Certificate);
  if (sid.issuerAndSerialNumber) {
    const { issuer, serialNumber } = sid.issuerAndSerialNumber;
    return (
      Buffer.from(AsnConvert.serialize(issuer)).equals(
        Buffer.from(AsnConvert.serialize(parsed.tbsCertificate.issuer)),
      ) && Buffer.from(serialNumber).equals(Buffer.from(parsed.tbsCertificate.serialNumber))
    );
  }
  const keyId = sid.subjectKeyIdentifier?.buffer;
  const extension = parsed.tbsCertificate.extensions?.find((e) => e.extnID === '2.5.29.14');
  return Boolean(
    keyId && extension && unwrapOctets(Buffer.from(extension.extnValue.buffer)).equals(Buffer.from(keyId)),
  );
}

/** SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2 { [hashAlgorithm], certHash, ... } }: the first names the signer. */
function namesCertificate(value: Buffer, certificate: X509Certificate): boolean {
  try {
    const top = readTlv(value, 0, 'SigningCertificateV2');
    const [certs] = children(value, top, 'SigningCertificateV2');
    if (!certs) return false;
    const [first] = children(value, certs, 'certs');
    if (!first) return false;
    const fields = children(value, first, 'ESSCertIDv2');
    let hash = 'sha256'; // the DEFAULT hashAlgorithm
    let index = 0;
    if (fields[0]?.tag === 0x30) {
      const [oid] = children(value, fields[0], 'hashAlgorithm');
      const name = oid ? hashByOid(oidText(value.subarray(oid.contents, oid.end))) : undefined;
      if (!name) return false;
      hash = name;
      index = 1;
    }
    const certHash = fields[index];
    if (certHash?.tag !== 0x04) return false;
    return value
      .subarray(certHash.contents, certHash.end)
      .equals(createHash(hash).update(certificate.raw).digest());
  } catch {
    return false;
  }
}

function oidValue(der: Buffer): string | undefined {
  const tlv = readTlv(der, 0, 'OBJECT IDENTIFIER');
  return tlv.tag === 0x06 ? oidText(der.subarray(tlv.contents, tlv.end)) : undefined;
}

/** An attribute value that is an OCTET STRING, or a SubjectKeyIdentifier extension value: its contents. */
function unwrapOctets(der: Buffer): Buffer {
  const tlv = readTlv(der, 0, 'OCTET STRING');
  return tlv.tag === 0x04 ? der.subarray(tlv.contents, tlv.end) : der;
}

function safeVerify(hash: string | null, data: Buffer, signer: X509Certificate, signature: Buffer): boolean {
  try {
    return verify(
      signer.publicKey.asymmetricKeyType === 'ed25519' ? null : hash,
      data,
      signer.publicKey,
      signature,
    );
  } catch {
    return false;
  }
}

/** Leaf to a root of the trust store through the token's certificates, each valid at `at`. */
function chainToRoot(
  signer: X509Certificate,
  certificates: readonly X509Certificate[],
  trustedRoots: readonly X509Certificate[],
  at: Date,
  fail: (reason: string) => never,
): X509Certificate[] {
  const chain = [signer];
  for (let current = signer; chain.length <= MAX_CHAIN_LENGTH; ) {
    const validFrom = new Date(current.validFrom);
    const validTo = new Date(current.validTo);
    if (at < validFrom || at > validTo) {
      fail(
        `TSA certificate "${subjectText(current)}" was not valid at the timestamp's time ${at.toISOString()}`,
      );
    }
    if (trustedRoots.some((root) => root.raw.equals(current.raw))) return chain;
    const root = trustedRoots.find((candidate) => issuedBy(current, candidate));
    if (root) {
      if (!root.raw.equals(current.raw)) chain.push(root);
      if (at < new Date(root.validFrom) || at > new Date(root.validTo)) {
        fail(`TSA root "${subjectText(root)}" was not valid at the timestamp's time ${at.toISOString()}`);
      }
      return chain;
    }
    const next = certificates.find((candidate) => !chain.includes(candidate) && issuedBy(current, candidate));
    if (!next) break;
    chain.push(next);
    current = next;
  }
  return fail(`the TSA certificate "${subjectText(signer)}" does not chain to a root of the tsa trust store`);
}

function issuedBy(certificate: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return certificate.checkIssued(issuer) && certificate.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

/**
 * The timestamping certificate requirements of the signature specification (notation-core-go's
 * ValidateTimestampingCertChain): the leaf is an end entity whose only extended key usage is
 * id-kp-timeStamping, marked critical; every other certificate is a CA; the chain ends self-signed.
 */
function validateTimestampingChain(chain: readonly X509Certificate[], fail: (reason: string) => never): void {
  const [leaf] = chain;
  const root = chain[chain.length - 1];
  if (!leaf || !root) {
    fail('empty TSA chain');
    return;
  }
  const x509 = leafExtensions(leaf);
  if (leaf.ca && chain.length > 1)
    fail(`TSA certificate "${subjectText(leaf)}" is a CA certificate, not an end entity`);
  if (!x509.ekuCritical || x509.eku.length !== 1 || x509.eku[0] !== OID.timeStamping) {
    fail(
      `TSA certificate "${subjectText(leaf)}" must have id-kp-timeStamping as its only extended key usage, marked critical`,
    );
  }
  for (const certificate of chain.slice(1)) {
    if (!certificate.ca) fail(`TSA chain certificate "${subjectText(certificate)}" is not a CA`);
  }
  if (!root.checkIssued(root)) fail(`TSA root "${subjectText(root)}" is not self-signed`);
}

function leafExtensions(certificate: X509Certificate): { eku: string[]; ekuCritical: boolean } {
  const { AsnConvert } = loadAsn1Schema();
  const parsed = AsnConvert.parse(certificate.raw, loadAsn1X509().Certificate);
  const extension = parsed.tbsCertificate.extensions?.find((e) => e.extnID === '2.5.29.37');
  return { eku: certificate.keyUsage ?? [], ekuCritical: extension?.critical ?? false };
}

/** RFC 3161 accuracy, or one second under the ETSI baseline policy, else none (the specification's rule). */
function accuracyOf(info: TSTInfo): number {
  const accuracy = info.accuracy;
  if (accuracy)
    return (accuracy.seconds ?? 0) * 1000 + (accuracy.millis ?? 0) + (accuracy.micros ?? 0) / 1000;
  return info.policy === OID.baselinePolicy ? 1000 : 0;
}
