/**
 * The timestamp authority: key material (a P-256 root and a timestamping leaf) and the signer that
 * turns a TimeStampReq into a TimeStampResp. Certificates follow what sigstore's verifiers require of
 * a TSA: the leaf is an end entity whose only extended key usage is id-kp-timeStamping, marked critical.
 */
import { createPrivateKey, type KeyObject, webcrypto, X509Certificate } from 'node:crypto';
import type { Certificate } from '@peculiar/asn1-x509';
import {
  decodePemBlocks,
  encodePem,
  loadAsn1Schema,
  loadAsn1X509,
  messageOf,
  SigilError,
} from '../core/index.js';
import { keySigner, loadX509, type Signer } from '../crypto/index.js';
import type { HashName } from './oids.js';
import { OID } from './oids.js';
import { parseTimestampRequest } from './request.js';
import { buildTimestampResponse, type TokenSigner } from './token.js';

export interface TsaMaterialOptions {
  commonName?: string;
  organization?: string;
  validityDays?: number;
}

export interface TsaMaterial {
  /** Leaf first, root last, as sigstore's `/api/v1/timestamp/certchain` serves it. */
  chainPem: string;
  /** PKCS#8 PEM of the leaf's private key. */
  keyPem: string;
}

const P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
/** Backdating covers verifiers whose clocks run a little behind ours. */
const CLOCK_SKEW_MS = 5 * 60 * 1000;

export async function createTsaMaterial(options: TsaMaterialOptions = {}): Promise<TsaMaterial> {
  const leafKeys = await webcrypto.subtle.generateKey(P256, true, ['sign', 'verify']);
  const chainPem = await tsaChain(leafKeys.publicKey, options);
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', leafKeys.privateKey);
  return { chainPem, keyPem: encodePem('PRIVATE KEY', new Uint8Array(pkcs8)) };
}

const WEBCRYPTO_CURVES: Record<string, string> = {
  prime256v1: 'P-256',
  secp384r1: 'P-384',
  secp521r1: 'P-521',
};

/**
 * A chain (PEM, leaf first) for a timestamping key held elsewhere, a KMS key: its leaf certified by a new
 * root whose private key is dropped once it has signed, so nothing else can ever be issued under it.
 */
export async function createTsaChain(
  publicKey: KeyObject,
  options: TsaMaterialOptions = {},
): Promise<string> {
  const namedCurve = WEBCRYPTO_CURVES[publicKey.asymmetricKeyDetails?.namedCurve ?? ''];
  if (publicKey.asymmetricKeyType !== 'ec' || !namedCurve) {
    throw new SigilError('BAD_KEY', 'TSA signing key must be ECDSA P-256, P-384 or P-521');
  }
  const leafKey = await webcrypto.subtle.importKey(
    'spki',
    publicKey.export({ type: 'spki', format: 'der' }),
    { name: 'ECDSA', namedCurve },
    true,
    ['verify'],
  );
  return tsaChain(leafKey, options);
}

/** A P-256 root and the timestamping leaf it issues for `leafKey`, as PEM, leaf first. */
async function tsaChain(leafKey: webcrypto.CryptoKey, options: TsaMaterialOptions): Promise<string> {
  const commonName = options.commonName ?? 'sigil timestamp authority';
  const organization = options.organization ?? 'sigil';
  const notBefore = new Date(Date.now() - CLOCK_SKEW_MS);
  const notAfter = new Date(notBefore.getTime() + (options.validityDays ?? 3650) * 86_400_000);
  const x509 = loadX509();
  const rootKeys = await webcrypto.subtle.generateKey(P256, true, ['sign', 'verify']);

  const root = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerialHex(),
    name: [{ O: [organization] }, { CN: [`${commonName} root`] }],
    notBefore,
    notAfter,
    keys: rootKeys,
    signingAlgorithm: P256,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(rootKeys.publicKey),
    ],
  });
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerialHex(),
    subject: [{ O: [organization] }, { CN: [commonName] }],
    issuer: root.subjectName,
    notBefore,
    notAfter,
    publicKey: leafKey,
    signingKey: rootKeys.privateKey,
    signingAlgorithm: P256,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([OID.timeStamping], true),
      await x509.SubjectKeyIdentifierExtension.create(leafKey),
      await x509.AuthorityKeyIdentifierExtension.create(rootKeys.publicKey),
    ],
  });
  return (
    encodePem('CERTIFICATE', new Uint8Array(leaf.rawData)) +
    encodePem('CERTIFICATE', new Uint8Array(root.rawData))
  );
}

/** A positive serial of 16 random bytes (hex, top bit clear so it needs no sign octet). */
function randomSerialHex(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] ?? 0) & 0x7f || 0x01;
  return Buffer.from(bytes).toString('hex');
}

export interface LoadTsaOptions {
  chainPem: string;
  /** The leaf's key as PKCS#8 PEM, unless `heldKey` holds it elsewhere (a KMS key). */
  keyPem?: string;
  heldKey?: HeldTsaKey;
  /** TSA policy stamped into each TSTInfo; sigstore's default unless given. */
  policy?: string;
  /** With certReq, include the issuing certificates as well as the leaf (default: leaf only, as sigstore). */
  includeChain?: boolean;
  /** The clock; tests pass a fixed one. */
  now?: () => Date;
}

/** The timestamping key in a KMS: its signer, and its URI for messages. */
export interface HeldTsaKey {
  signer: Signer;
  describe: string;
}

export interface Tsa {
  readonly chainPem: string;
  readonly policy: string;
  /** A DER TimeStampResp (status granted) for a DER TimeStampReq; BAD_INPUT for a request refused. */
  timestamp(requestDer: Uint8Array): Promise<Uint8Array>;
}

export function loadTsa(options: LoadTsaOptions): Tsa {
  const chain = parseChain(options.chainPem);
  const [leaf, ...issuers] = chain;
  if (!leaf) throw new SigilError('BAD_CERTIFICATE', 'TSA certificate chain is empty');
  checkLeaf(leaf);
  const keySigner = leafSigner(options, leaf.node);
  const signer: TokenSigner = {
    leaf: leaf.parsed,
    leafDer: leaf.der,
    issuers: issuers.map((cert) => cert.parsed),
    sign: (data) => keySigner.sign(data),
    ...signatureAlgorithm(keySigner.publicKey),
  };
  const policy = options.policy ?? OID.sigstorePolicy;
  const now = options.now ?? (() => new Date());
  const chainPem = chain.map((cert) => encodePem('CERTIFICATE', cert.der)).join('');
  return {
    chainPem,
    policy,
    async timestamp(requestDer) {
      const request = parseTimestampRequest(requestDer);
      if (request.policy !== undefined && request.policy !== policy) {
        throw new SigilError(
          'BAD_INPUT',
          `timestamp request asks for policy ${request.policy}; this TSA stamps under ${policy} only`,
        );
      }
      // Whole seconds: the stated accuracy is one second, and @sigstore/core reads fractions only as
      // exactly three digits, which DER (no trailing zeros) cannot promise.
      const genTime = new Date(Math.floor(now().getTime() / 1000) * 1000);
      return buildTimestampResponse(request, signer, {
        policy,
        genTime,
        includeChain: options.includeChain ?? false,
      });
    },
  };
}

interface ChainCertificate {
  der: Buffer;
  parsed: Certificate;
  node: X509Certificate;
}

function parseChain(chainPem: string): ChainCertificate[] {
  const where = 'TSA certificate chain';
  const { AsnConvert } = loadAsn1Schema();
  const chain = decodePemBlocks(chainPem, where).map((block, index): ChainCertificate => {
    if (block.label !== 'CERTIFICATE') {
      throw new SigilError('BAD_PEM', `${where}: block ${index + 1} is "${block.label}", not CERTIFICATE`);
    }
    try {
      const parsed = AsnConvert.parse(block.der, loadAsn1X509().Certificate);
      // The signer identifier and ESSCertIDv2 are re-encoded from the parsed leaf; they must come out
      // byte for byte as in the certificate, or verifiers will not match the token to it.
      if (!Buffer.from(AsnConvert.serialize(parsed)).equals(block.der)) {
        throw new Error('it does not re-encode to the same DER');
      }
      return { der: block.der, parsed, node: new X509Certificate(block.der) };
    } catch (err) {
      throw new SigilError('BAD_CERTIFICATE', `${where}: certificate ${index + 1}: ${messageOf(err)}`);
    }
  });
  for (let i = 0; i + 1 < chain.length; i++) {
    const [child, parent] = [chain[i], chain[i + 1]];
    if (
      child &&
      parent &&
      !(child.node.checkIssued(parent.node) && child.node.verify(parent.node.publicKey))
    ) {
      throw new SigilError(
        'BAD_CERTIFICATE',
        `${where}: certificate ${i + 1} is not issued by certificate ${i + 2}`,
        'list the chain leaf first, root last',
      );
    }
  }
  return chain;
}

/** RFC 3161 2.3: the one EKU is id-kp-timeStamping, critical (sigstore's verifier insists on both). */
function checkLeaf(leaf: ChainCertificate): void {
  const { ExtendedKeyUsage, id_ce_extKeyUsage } = loadAsn1X509();
  const ekuExtension = leaf.parsed.tbsCertificate.extensions?.find((ext) => ext.extnID === id_ce_extKeyUsage);
  const eku = ekuExtension ? loadAsn1Schema().AsnConvert.parse(ekuExtension.extnValue, ExtendedKeyUsage) : [];
  if (!ekuExtension?.critical || eku.length !== 1 || eku[0] !== OID.timeStamping) {
    throw new SigilError(
      'BAD_CERTIFICATE',
      'TSA leaf certificate must have one critical extended key usage, id-kp-timeStamping',
    );
  }
  if (leaf.node.ca) throw new SigilError('BAD_CERTIFICATE', 'TSA leaf certificate must not be a CA');
  if (new Date(leaf.node.validTo).getTime() < Date.now()) {
    throw new SigilError('BAD_CERTIFICATE', `TSA leaf certificate expired on ${leaf.node.validTo}`);
  }
}

function leafSigner({ keyPem, heldKey }: LoadTsaOptions, leaf: X509Certificate): Signer {
  let signer: Signer;
  if (heldKey) {
    signer = heldKey.signer;
  } else {
    try {
      signer = keySigner(createPrivateKey(keyPem ?? ''));
    } catch (err) {
      throw new SigilError('BAD_KEY', `TSA signing key: ${messageOf(err)}`);
    }
  }
  if (!signer.publicKey.equals(leaf.publicKey)) {
    const which = heldKey ? `TSA signing key ${heldKey.describe}` : 'TSA signing key';
    throw new SigilError('BAD_KEY', `${which} does not match the leaf certificate of the chain`);
  }
  return signer;
}

const ECDSA: Record<string, { hash: HashName; signatureOid: string }> = {
  prime256v1: { hash: 'sha256', signatureOid: '1.2.840.10045.4.3.2' },
  secp384r1: { hash: 'sha384', signatureOid: '1.2.840.10045.4.3.3' },
  secp521r1: { hash: 'sha512', signatureOid: '1.2.840.10045.4.3.4' },
};

function signatureAlgorithm(key: KeyObject): { hash: HashName; signatureOid: string } {
  const algorithm =
    key.asymmetricKeyType === 'ec' ? ECDSA[key.asymmetricKeyDetails?.namedCurve ?? ''] : undefined;
  if (!algorithm) {
    throw new SigilError('BAD_KEY', 'TSA signing key must be ECDSA P-256, P-384 or P-521');
  }
  return algorithm;
}
