/**
 * The TimeStampResp with its TimeStampToken (RFC 3161 2.4.2): a CMS SignedData (RFC 5652) whose
 * encapsulated content is the DER TSTInfo, signed by the TSA leaf over signed attributes contentType,
 * messageDigest and signingCertificateV2 (RFC 5035, required for TSA tokens by RFC 5816).
 *
 * The layout is what @sigstore/core's RFC3161Timestamp reads by position: one SignerInfo, identified by
 * issuer and serial number, with signed attributes present.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Attribute } from '@peculiar/asn1-cms';
import type { Certificate } from '@peculiar/asn1-x509';

import {
  compareDer,
  derContext,
  derInteger,
  derOctetString,
  derOid,
  derSequence,
  derSetOf,
  loadAsn1Cms,
  loadAsn1Schema,
  loadAsn1Tsp,
} from '../core/index.js';
import { HASHES, type HashName, OID } from './oids.js';
import { arrayBufferOf, type TimestampRequest } from './request.js';

/** The TSA's signing identity: its leaf (parsed and raw), the rest of its chain, and its key. */
export interface TokenSigner {
  leaf: Certificate;
  leafDer: Uint8Array;
  /** Issuing certificates above the leaf, for `includeChain`. */
  issuers: Certificate[];
  /** Signs the DER signed attributes with the leaf's key (a key file's, or a KMS key's). */
  sign(data: Buffer): Promise<Buffer>;
  /** The digest of the signer's signature algorithm (ecdsa-with-SHA256 → sha256). */
  hash: HashName;
  signatureOid: string;
}

export interface TokenOptions {
  policy: string;
  genTime: Date;
  /** With certReq, add the issuing certificates too (sigstore's `include-chain-in-response`). */
  includeChain: boolean;
}

export async function buildTimestampResponse(
  request: TimestampRequest,
  signer: TokenSigner,
  options: TokenOptions,
): Promise<Buffer> {
  const { AsnConvert, OctetString } = loadAsn1Schema();
  const {
    CertificateChoices,
    CertificateSet,
    DigestAlgorithmIdentifier,
    DigestAlgorithmIdentifiers,
    EncapsulatedContent,
    EncapsulatedContentInfo,
    IssuerAndSerialNumber,
    SignatureAlgorithmIdentifier,
    SignedData,
    SignerIdentifier,
    SignerInfo,
    SignerInfos,
  } = loadAsn1Cms();
  const { Accuracy, PKIStatus, PKIStatusInfo, TimeStampResp, TimeStampToken, TSTInfo } = loadAsn1Tsp();
  const tstInfo = Buffer.from(
    AsnConvert.serialize(
      new TSTInfo({
        version: 1,
        policy: options.policy,
        messageImprint: request.messageImprint,
        serialNumber: arrayBufferOf(serialNumber()),
        genTime: options.genTime,
        // sigstore's TSA states one second; genTime is truncated to whole seconds to match.
        accuracy: new Accuracy({ seconds: 1 }),
        ...(request.nonce ? { nonce: request.nonce } : {}),
      }),
    ),
  );

  const attributes = signedAttributes(tstInfo, signer);
  const signature = await signer.sign(derSetOf(attributes.map((a) => a.der)));
  const signerInfo = new SignerInfo({
    version: 1, // issuerAndSerialNumber sid (RFC 5652 5.3)
    sid: new SignerIdentifier({
      issuerAndSerialNumber: new IssuerAndSerialNumber({
        issuer: signer.leaf.tbsCertificate.issuer,
        serialNumber: signer.leaf.tbsCertificate.serialNumber,
      }),
    }),
    digestAlgorithm: new DigestAlgorithmIdentifier({ algorithm: HASHES[signer.hash].oid }),
    signedAttrs: attributes.map((a) => a.attribute),
    signatureAlgorithm: new SignatureAlgorithmIdentifier({ algorithm: signer.signatureOid }),
    signature: new OctetString(signature),
  });

  const certificates = request.certReq ? [signer.leaf, ...(options.includeChain ? signer.issuers : [])] : [];
  const signedData = new SignedData({
    version: 3, // eContentType is not id-data (RFC 5652 5.1)
    digestAlgorithms: new DigestAlgorithmIdentifiers([
      new DigestAlgorithmIdentifier({ algorithm: HASHES[signer.hash].oid }),
    ]),
    encapContentInfo: new EncapsulatedContentInfo({
      eContentType: OID.tstInfo,
      eContent: new EncapsulatedContent({ single: new OctetString(tstInfo) }),
    }),
    ...(certificates.length > 0
      ? {
          certificates: new CertificateSet(
            certificates.map((certificate) => new CertificateChoices({ certificate })),
          ),
        }
      : {}),
    signerInfos: new SignerInfos([signerInfo]),
  });

  const response = new TimeStampResp({
    status: new PKIStatusInfo({ status: PKIStatus.granted }),
    timeStampToken: new TimeStampToken({
      contentType: OID.signedData,
      content: AsnConvert.serialize(signedData),
    }),
  });
  return Buffer.from(AsnConvert.serialize(response));
}

/**
 * The signed attributes in DER SET OF order. The same order goes into the SignerInfo, so the bytes a
 * verifier rebuilds from it (tag [0] turned back into SET) are the bytes signed here.
 */
function signedAttributes(
  tstInfo: Buffer,
  signer: TokenSigner,
): Array<{ attribute: Attribute; der: Buffer }> {
  const digest = createHash(signer.hash).update(tstInfo).digest();
  const attributes = [
    attribute(OID.contentType, derOid(OID.tstInfo)),
    attribute(OID.messageDigest, derOctetString(digest)),
    attribute(OID.signingCertificateV2, signingCertificateV2(signer)),
  ];
  return attributes
    .map((item) => ({ attribute: item, der: Buffer.from(loadAsn1Schema().AsnConvert.serialize(item)) }))
    .sort((a, b) => compareDer(a.der, b.der));
}

function attribute(type: string, value: Uint8Array): Attribute {
  return new (loadAsn1Cms().Attribute)({ attrType: type, attrValues: [arrayBufferOf(value)] });
}

/**
 * SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2 } with one ESSCertIDv2 for the
 * leaf: its SHA-256 hash (the DEFAULT algorithm, so left out in DER) and IssuerSerial, which binds the
 * signer to the certificate a verifier looks up.
 */
function signingCertificateV2(signer: TokenSigner): Buffer {
  const certHash = createHash('sha256').update(signer.leafDer).digest();
  const issuerName = Buffer.from(loadAsn1Schema().AsnConvert.serialize(signer.leaf.tbsCertificate.issuer));
  const issuerSerial = derSequence(
    derSequence(derContext(4, issuerName)), // GeneralNames { directoryName [4] Name }
    derInteger(new Uint8Array(signer.leaf.tbsCertificate.serialNumber)),
  );
  return derSequence(derSequence(derSequence(derOctetString(certHash), issuerSerial)));
}

/** 160 random bits as a positive, minimally encoded INTEGER (RFC 3161 allows up to 160 bits). */
function serialNumber(): Buffer {
  const bytes = randomBytes(20);
  bytes[0] = (bytes[0] ?? 0) & 0x7f || 0x01;
  return bytes;
}
