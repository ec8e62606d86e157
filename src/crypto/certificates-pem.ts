/** X.509 certificates from PEM text that may hold several (a chain, a set of roots) and other blocks. */
import { X509Certificate } from 'node:crypto';
import { decodePemBlocks, SigilError } from '../core/index.js';

/** Every CERTIFICATE block of `pem`, in order; `where` names the source in errors. */
export function certificatesFromPem(pem: string, where: string): X509Certificate[] {
  return decodePemBlocks(pem, where)
    .filter((block) => block.label === 'CERTIFICATE')
    .map((block, i) => {
      try {
        return new X509Certificate(block.der);
      } catch {
        throw new SigilError(
          'BAD_CERTIFICATE',
          `${where}: certificate ${i + 1} is not a valid X.509 certificate`,
        );
      }
    });
}

/** The certificates of `pem`, of which there must be at least one. */
export function requireCertificates(pem: string, where: string): [X509Certificate, ...X509Certificate[]] {
  const [first, ...rest] = certificatesFromPem(pem, where);
  if (!first) throw new SigilError('BAD_PEM', `${where}: no CERTIFICATE block found`);
  return [first, ...rest];
}
