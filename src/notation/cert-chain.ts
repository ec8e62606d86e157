/**
 * The Notary Project's rules for a code-signing certificate chain (signature specification, "Certificate
 * requirements"), as notation-core-go applies them: leaf first, each certificate issued by the next, the
 * last a self-signed root (or a lone self-signed leaf); CA certificates with basic constraints cA=true and
 * a path length that allows the chain below, key usage critical with keyCertSign; the leaf not a CA, key
 * usage critical with digitalSignature only, no EKU that names another purpose; and, when a time is given,
 * every certificate valid at that time.
 */
import { SigilError } from '../core/index.js';
import { algorithmForKey } from './algorithms.js';
import { EKU, isIssuedBy, isSelfSigned, KEY_USAGE, type NotationCertificate } from './certificate.js';

function bad(where: string, what: string): SigilError {
  return new SigilError('BAD_CERTIFICATE', `${where}: certificate chain is invalid: ${what}`);
}

export function validateCodeSigningChain(
  chain: readonly NotationCertificate[],
  signingTime: Date | undefined,
  where: string,
): void {
  if (chain.length === 0) throw bad(where, 'it is empty');
  if (chain.length === 1) {
    const cert = chain[0] as NotationCertificate;
    if (!cert.rawSubject.equals(cert.rawIssuer) || !isSelfSigned(cert)) {
      throw bad(where, `lone certificate "${cert.subject}" is not self-signed`);
    }
    validAt(cert, signingTime, where);
    validateLeaf(cert, where);
    return;
  }
  chain.forEach((cert, i) => {
    validAt(cert, signingTime, where);
    if (i === chain.length - 1) {
      if (!isSelfSigned(cert)) throw bad(where, `root certificate "${cert.subject}" is not self-signed`);
    } else {
      if (isSelfSigned(cert)) {
        throw bad(where, `${i === 0 ? 'leaf' : 'intermediate'} certificate "${cert.subject}" is self-signed`);
      }
      const parent = chain[i + 1] as NotationCertificate;
      if (!isIssuedBy(cert, parent)) {
        throw bad(where, `certificate "${cert.subject}" is not issued by "${parent.subject}"`);
      }
    }
    if (i === 0) validateLeaf(cert, where);
    else validateCa(cert, i - 1, where);
  });
}

function validAt(cert: NotationCertificate, time: Date | undefined, where: string): void {
  if (time && (time < cert.notBefore || time > cert.notAfter)) {
    throw bad(
      where,
      `certificate "${cert.subject}" was not valid at signing time ${time.toISOString()} (valid ${cert.notBefore.toISOString()} to ${cert.notAfter.toISOString()})`,
    );
  }
}

function validateCa(cert: NotationCertificate, expectedPathLength: number, where: string): void {
  if (!cert.basicConstraints?.ca) {
    throw bad(where, `certificate "${cert.subject}": basic constraints must be present with cA true`);
  }
  const pathLength = cert.basicConstraints.pathLength;
  if (pathLength !== undefined && pathLength < expectedPathLength) {
    throw bad(
      where,
      `certificate "${cert.subject}": path length ${pathLength} is below ${expectedPathLength}`,
    );
  }
  keyUsagePresent(cert, where);
  if (((cert.keyUsage?.flags ?? 0) & KEY_USAGE.keyCertSign) === 0) {
    throw bad(where, `certificate "${cert.subject}": key usage must include keyCertSign`);
  }
}

function keyUsagePresent(cert: NotationCertificate, where: string): void {
  if (!cert.keyUsage) throw bad(where, `certificate "${cert.subject}": key usage extension must be present`);
  if (!cert.keyUsage.critical)
    throw bad(where, `certificate "${cert.subject}": key usage extension must be critical`);
}

const NOT_LEAF_USAGES = [
  ['KeyEncipherment', KEY_USAGE.keyEncipherment],
  ['DataEncipherment', KEY_USAGE.dataEncipherment],
  ['KeyAgreement', KEY_USAGE.keyAgreement],
  ['CertSign', KEY_USAGE.keyCertSign],
  ['CRLSign', KEY_USAGE.cRLSign],
  ['EncipherOnly', KEY_USAGE.encipherOnly],
  ['DecipherOnly', KEY_USAGE.decipherOnly],
] as const;

const EXCLUDED_EKUS: Record<string, string> = {
  [EKU.serverAuth]: 'ServerAuth',
  [EKU.clientAuth]: 'ClientAuth',
  [EKU.emailProtection]: 'EmailProtection',
  [EKU.timeStamping]: 'Timestamping',
  [EKU.ocspSigning]: 'OCSPSigning',
};

function validateLeaf(cert: NotationCertificate, where: string): void {
  if (cert.basicConstraints?.ca) {
    throw bad(where, `signing certificate "${cert.subject}" must not be a CA (basic constraints cA is true)`);
  }
  keyUsagePresent(cert, where);
  const flags = cert.keyUsage?.flags ?? 0;
  if ((flags & KEY_USAGE.digitalSignature) === 0) {
    throw bad(where, `signing certificate "${cert.subject}": key usage must include digitalSignature`);
  }
  const extra = NOT_LEAF_USAGES.filter(([, bit]) => flags & bit).map(([name]) => name);
  if (extra.length > 0) {
    throw bad(
      where,
      `signing certificate "${cert.subject}": key usage must be digitalSignature only, found ${extra.join(', ')}`,
    );
  }
  for (const eku of cert.extendedKeyUsage ?? []) {
    const name = EXCLUDED_EKUS[eku];
    if (name)
      throw bad(where, `signing certificate "${cert.subject}": extended key usage must not contain ${name}`);
  }
  algorithmForKey(cert.x509.publicKey, `${where} signing certificate "${cert.subject}"`);
}
