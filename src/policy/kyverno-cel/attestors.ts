/**
 * ImageValidatingPolicy attestors onto the model's attestors. A cosign attestor with a key (PEM or KMS),
 * keyless identities or certificates maps cleanly, and so does a notary attestor's certificates (verified
 * as Kyverno's type: Notary verifies them); what does not (key or certificate expressions, TUF roots,
 * trusted roots, TSA chains, tag prefixes, notary TSA certificates) becomes an attestor that fails, with a
 * load warning naming the field.
 */
import { messageOf, SigilError } from '../../core/index.js';
import { parseSignatureRepository } from '../../cosign/index.js';
import { isKmsUri, loadPublicKeyPem, publicKeyPemBlocks, requireCertificates } from '../../crypto/index.js';
import type { Attestor, CtlogSettings, TlogSettings } from '../model.js';
import type { IvpolAttestor } from './schema.js';

export function readAttestor(doc: IvpolAttestor, at: string, warnings: string[]): Attestor {
  const unsupported = (field: string, what: string): Attestor => {
    warnings.push(
      `${at}.${field}: ${what} are not supported: images verified through attestor ${doc.name} fail`,
    );
    return { kind: 'unsupported', what };
  };
  if (doc.notary) return readNotaryAttestor(doc.notary, at, warnings, unsupported);
  const c = doc.cosign;
  if (!c) return unsupported('cosign', 'attestors without cosign or notary settings');
  const refused = (
    [
      [
        c.key?.kms && !isKmsUri(c.key.kms) ? c.key.kms : undefined,
        'cosign.key.kms',
        'KMS keys of this scheme',
      ],
      [c.key?.expression, 'cosign.key.expression', 'key expressions'],
      [
        c.certificate?.cert?.expression ?? c.certificate?.certChain?.expression,
        'cosign.certificate',
        'certificate expressions',
      ],
      [c.tuf, 'cosign.tuf', 'TUF roots'],
      [c.trustedRoot, 'cosign.trustedRoot', 'trusted roots'],
      [c.ctlog?.tsaCertChain, 'cosign.ctlog.tsaCertChain', 'TSA certificate chains'],
      [c.source?.tagPrefix, 'cosign.source.tagPrefix', 'signature tag prefixes'],
    ] as const
  ).find(([value]) => value !== undefined && value !== '');
  if (refused) return unsupported(refused[1], refused[2]);
  const tlog: TlogSettings = {
    ...(c.ctlog?.url ? { url: c.ctlog.url } : {}),
    ...(c.ctlog?.rekorPubKey ? { publicKey: c.ctlog.rekorPubKey } : {}),
    ignore: c.ctlog?.insecureIgnoreTlog ?? false,
  };
  const ctlog: CtlogSettings = {
    ignoreSct: c.ctlog?.insecureIgnoreSCT ?? false,
    ...(c.ctlog?.ctLogPubKey ? { publicKey: c.ctlog.ctLogPubKey } : {}),
  };
  const common = {
    tlog,
    ctlog,
    ...(c.annotations ? { annotations: c.annotations } : {}),
    ...(c.source?.repository
      ? { repository: repository(c.source.repository, `${at}.cosign.source.repository`) }
      : {}),
  };
  try {
    if (tlog.publicKey) loadPublicKeyPem(tlog.publicKey, `${at}.cosign.ctlog.rekorPubKey`);
    if (ctlog.publicKey) loadPublicKeyPem(ctlog.publicKey, `${at}.cosign.ctlog.ctLogPubKey`);
    if (c.key?.kms) return { kind: 'kmsKey', ref: c.key.kms, ...common };
    if (c.key?.data !== undefined) {
      const pems = publicKeyPemBlocks(c.key.data);
      if (pems.length === 0) throw new SigilError('BAD_PEM', `${at}.cosign.key.data: no PEM public key`);
      const keys: Attestor[] = pems.map((publicKey) => {
        loadPublicKeyPem(publicKey, `${at}.cosign.key.data`);
        return { kind: 'key', publicKey, ...common };
      });
      // Several keys in one attestor: any one of them verifies it (cosign tries each).
      return keys.length === 1 ? (keys[0] as Attestor) : { kind: 'nested', set: { count: 1, entries: keys } };
    }
    if (c.keyless) {
      if (c.keyless.roots) requireCertificates(c.keyless.roots, `${at}.cosign.keyless.roots`);
      const identities = c.keyless.identities ?? [];
      if (identities.length === 0)
        return unsupported('cosign.keyless.identities', 'keyless attestors without identities');
      const entries: Attestor[] = identities.map((id) => ({
        kind: 'keyless',
        ...(id.subject ? { subject: id.subject } : {}),
        ...(id.subjectRegExp ? { subjectRegExp: id.subjectRegExp } : {}),
        ...(id.issuer ? { issuer: id.issuer } : {}),
        ...(id.issuerRegExp ? { issuerRegExp: id.issuerRegExp } : {}),
        ...(c.keyless?.roots ? { roots: c.keyless.roots } : {}),
        additionalExtensions: {},
        ...common,
      }));
      // cosign's CheckOpts.Identities: a signature passes when any identity matches.
      return entries.length === 1 ? (entries[0] as Attestor) : { kind: 'nested', set: { count: 1, entries } };
    }
    if (c.certificate) {
      const cert = c.certificate.cert?.value;
      const certChain = c.certificate.certChain?.value;
      if (cert) requireCertificates(cert, `${at}.cosign.certificate.cert`);
      if (certChain) requireCertificates(certChain, `${at}.cosign.certificate.certChain`);
      return {
        kind: 'certificate',
        ...(cert ? { cert } : {}),
        ...(certChain ? { certChain } : {}),
        ...common,
      };
    }
  } catch (err) {
    // The policy still loads; what this attestor verifies fails, and the loader hears why now.
    warnings.push(`${messageOf(err)} (images it checks will fail)`);
    return { kind: 'invalid', reason: messageOf(err) };
  }
  return unsupported('cosign', 'cosign attestors without key, keyless or certificate');
}

/**
 * `notary.certs`: the certificates a Notation signature must chain to, a one-store trust as Kyverno's
 * type: Notary builds from `certificates.cert` (the verifier context's `notary` flag routes it there).
 */
function readNotaryAttestor(
  notary: NonNullable<IvpolAttestor['notary']>,
  at: string,
  warnings: string[],
  unsupported: (field: string, what: string) => Attestor,
): Attestor {
  if (notary.tsaCerts !== undefined) return unsupported('notary.tsaCerts', 'notary TSA certificates');
  if (notary.certs?.expression !== undefined) {
    return unsupported('notary.certs.expression', 'certificate expressions');
  }
  const certs = notary.certs?.value;
  if (!certs) return unsupported('notary.certs', 'notary attestors without certificates');
  try {
    requireCertificates(certs, `${at}.notary.certs`);
  } catch (err) {
    warnings.push(`${messageOf(err)} (images it checks will fail)`);
    return { kind: 'invalid', reason: messageOf(err) };
  }
  return {
    kind: 'certificate',
    cert: certs,
    notary: true,
    tlog: { ignore: true },
    ctlog: { ignoreSct: true },
  };
}

function repository(value: string, where: string) {
  try {
    return parseSignatureRepository(value, 'the repository');
  } catch (err) {
    throw new SigilError('BAD_INPUT', `${where}: ${messageOf(err)}`);
  }
}
