import { X509Certificate } from 'node:crypto';
import { type JSONValue, TYPE_STRING } from '@jmespath-community/jmespath';
import { messageOf } from '../../../core/errors.js';
import { decodePem } from '../../../core/pem.js';
import { type CustomFunction, FunctionError } from './types.js';

/** Go's pkix.Name fields, multi-valued ones as arrays (null when absent, as Go's nil slices marshal). */
function goName(fields: Record<string, string | string[] | undefined>): Record<string, JSONValue> {
  const list = (key: string): JSONValue => {
    const value = fields[key];
    if (value === undefined) return null;
    return Array.isArray(value) ? value : [value];
  };
  const single = (key: string): string => {
    const value = fields[key];
    return (Array.isArray(value) ? value[0] : value) ?? '';
  };
  return {
    Country: list('C'),
    Organization: list('O'),
    OrganizationalUnit: list('OU'),
    Locality: list('L'),
    Province: list('ST'),
    StreetAddress: list('street'),
    PostalCode: list('postalCode'),
    SerialNumber: single('serialNumber'),
    CommonName: single('CN'),
  };
}

function rfc3339(text: string): string {
  return new Date(text).toISOString().replace(/\.000Z$/, 'Z');
}

/**
 * Kyverno's x509_decode: a PEM certificate as the JSON of Go's x509.Certificate, for the fields policies read
 * (Subject, Issuer, NotBefore, NotAfter, SerialNumber, PublicKey {N, E}, DNSNames, EmailAddresses, IsCA).
 * Like Kyverno, only RSA keys are accepted. Certificate requests are not supported.
 */
function decodeCertificate(pem: string): JSONValue {
  let der: Buffer;
  try {
    der = decodePem(pem, 'x509_decode argument', ['CERTIFICATE']).der;
  } catch (err) {
    throw new FunctionError('x509_decode', messageOf(err));
  }
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(der);
  } catch (err) {
    throw new FunctionError('x509_decode', `not a valid certificate: ${messageOf(err)}`);
  }
  if (cert.publicKey.asymmetricKeyType !== 'rsa')
    throw new FunctionError('x509_decode', 'certificate should use rsa algorithm');
  const jwk = cert.publicKey.export({ format: 'jwk' });
  const legacy = cert.toLegacyObject();
  const subjectAltNames = (cert.subjectAltName ?? '').split(', ').filter(Boolean);
  const san = (prefix: string): JSONValue => {
    const values = subjectAltNames.filter((n) => n.startsWith(prefix)).map((n) => n.slice(prefix.length));
    return values.length > 0 ? values : null;
  };
  return {
    Version: 3,
    SerialNumber: BigInt(`0x${cert.serialNumber}`).toString(),
    Subject: goName(legacy.subject as unknown as Record<string, string | string[]>),
    Issuer: goName(legacy.issuer as unknown as Record<string, string | string[]>),
    NotBefore: rfc3339(cert.validFrom),
    NotAfter: rfc3339(cert.validTo),
    PublicKey: {
      N: BigInt(`0x${Buffer.from(jwk.n ?? '', 'base64url').toString('hex')}`).toString(),
      E: Number(BigInt(`0x${Buffer.from(jwk.e ?? '', 'base64url').toString('hex')}`)),
    },
    DNSNames: san('DNS:'),
    EmailAddresses: san('email:'),
    IsCA: cert.ca,
  };
}

export const x509Functions: CustomFunction[] = [
  {
    name: 'x509_decode',
    signature: [{ types: [TYPE_STRING] }],
    run: ([pem]) => decodeCertificate(String(pem)),
  },
];
