/**
 * notation's X.509 trust store: named stores under truststore/x509/<type>/<name>/, each a directory of
 * certificate files (PEM or DER). A store must exist and hold certificates, and holds only regular files
 * (no symlinks or subdirectories, as notation); every certificate must be a CA or self-signed, and a TSA
 * store's must be root CAs. A broken store fails verification rather than being skipped.
 */
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodePemBlocks, messageOf, SigilError } from '../core/index.js';
import { isSelfSigned, type NotationCertificate, parseCertificate } from './certificate.js';
import { type TrustStoreType, trustStoreDir } from './config-dir.js';

function storeError(what: string): SigilError {
  return new SigilError('BAD_INPUT', what);
}

/** The certificates of one file: every CERTIFICATE block of a PEM file, or one DER certificate. */
export function readCertificateFile(path: string): NotationCertificate[] {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new SigilError('IO_ERROR', `${path}: ${messageOf(err)}`);
  }
  return bytes.includes('-----BEGIN')
    ? certificatesFromPem(bytes.toString('utf8'), path)
    : [parseCertificate(bytes, path)];
}

/** Every CERTIFICATE block of `pem` (a policy's `certificates`, a chain file); at least one. */
export function certificatesFromPem(pem: string, where: string): NotationCertificate[] {
  const blocks = decodePemBlocks(pem, where).filter((b) => b.label === 'CERTIFICATE');
  if (blocks.length === 0) throw new SigilError('BAD_CERTIFICATE', `${where}: no certificates in the PEM`);
  return blocks.map((b, i) => parseCertificate(b.der, `${where} certificate ${i + 1}`));
}

/** Every certificate of the named store, checked as notation checks them. */
export function loadTrustStore(configDir: string, type: TrustStoreType, name: string): NotationCertificate[] {
  const dir = trustStoreDir(configDir, type, name);
  let entries: string[];
  try {
    const stat = lstatSync(dir);
    if (!stat.isDirectory())
      throw storeError(
        `trust store ${type}:${name} (${dir}) is not a regular directory (symlinks are not supported)`,
      );
    entries = readdirSync(dir).sort();
  } catch (err) {
    if (err instanceof SigilError) throw err;
    throw storeError(`trust store ${type}:${name} does not exist (${dir})`);
  }
  const certificates: NotationCertificate[] = [];
  for (const entry of entries) {
    const path = join(dir, entry);
    if (!lstatSync(path).isFile()) {
      throw storeError(
        `trust store ${type}:${name}: ${entry} is not a regular file (directories and symlinks are not supported)`,
      );
    }
    const certs = readCertificateFile(path);
    for (const cert of certs) {
      if (!cert.basicConstraints?.ca && !isSelfSigned(cert)) {
        throw storeError(
          `trust store ${type}:${name}: ${entry}: "${cert.subject}" is not a CA certificate or self-signed signing certificate`,
        );
      }
      if (type === 'tsa' && !(cert.rawSubject.equals(cert.rawIssuer) && isSelfSigned(cert))) {
        throw storeError(
          `trust store ${type}:${name}: ${entry}: "${cert.subject}" is not a root CA certificate`,
        );
      }
    }
    certificates.push(...certs);
  }
  if (certificates.length === 0)
    throw storeError(`trust store ${type}:${name} holds no certificates (${dir})`);
  return certificates;
}
