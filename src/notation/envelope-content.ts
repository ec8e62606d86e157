/** The content of a Notation signature envelope, whichever its format, and the checks both formats share. */
import { SigilError } from '../core/index.js';
import type { SignatureAlgorithm } from './algorithms.js';
import type { NotationCertificate } from './certificate.js';
import type { SignatureFormat, SigningScheme } from './media-types.js';

export interface ExtendedAttribute {
  key: string | number;
  critical: boolean;
  value: unknown;
}

export interface EnvelopeContent {
  format: SignatureFormat;
  payload: Buffer;
  payloadContentType: string;
  signingScheme: SigningScheme;
  /** `signingTime` (notary.x509) or `authenticSigningTime` (notary.x509.signingAuthority). */
  signingTime: Date;
  expiry?: Date;
  algorithm: SignatureAlgorithm;
  /** Leaf first. */
  certificateChain: NotationCertificate[];
  signature: Buffer;
  /** The bytes the signature is over (JWS signing input, COSE Sig_structure). */
  signedBytes: Buffer;
  signingAgent?: string;
  /** An RFC 3161 TimeStampToken (DER) over `signature`. */
  timestampSignature?: Buffer;
  extendedAttributes: ExtendedAttribute[];
}

/** A time attribute may not be at or before the signing time (notation-core-go's rule). */
export function checkTimes(signingTime: Date, expiry: Date | undefined, where: string): void {
  if (Number.isNaN(signingTime.getTime())) throw invalid(where, 'signing time is not a valid time');
  if (expiry && expiry.getTime() <= signingTime.getTime()) {
    throw invalid(where, 'expiry is not after the signing time');
  }
}

export function invalid(where: string, what: string): SigilError {
  return new SigilError('BAD_INPUT', `${where}: invalid signature envelope: ${what}`);
}

/** A key that signs Notation signatures, with its certificate chain (DER, leaf first). */
export interface NotationSigner {
  algorithm: SignatureAlgorithm;
  certificateChain: Buffer[];
  /** The signature over `data` as JWS and COSE carry it (RSASSA-PSS, or ECDSA r||s). */
  sign(data: Uint8Array): Promise<Buffer>;
}

export interface SignRequest {
  payload: Buffer;
  signer: NotationSigner;
  signingTime: Date;
  expiry?: Date;
  signingScheme: SigningScheme;
  signingAgent: string;
  /** Asks a TSA for a TimeStampToken (DER) over the signature, hashed with `hash`. */
  timestamp?: (signature: Buffer, hash: SignatureAlgorithm['hash']) => Promise<Buffer>;
}

/** Seconds precision: both formats carry whole seconds (COSE as an integer). */
export function wholeSeconds(time: Date): Date {
  return new Date(Math.floor(time.getTime() / 1000) * 1000);
}
