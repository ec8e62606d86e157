/**
 * The SCT check cosign makes on a certificate it is given with its chain: at least one SCT embedded in the
 * certificate must verify with the key of a CT log the verifier trusts. What the log signed is the
 * precertificate entry: the certificate's TBS without its SCT list, under the issuer's key hash.
 */
import type { KeyObject, X509Certificate } from 'node:crypto';
import { SigilError, sha256 } from '../core/index.js';
import { verifySignature } from '../crypto/index.js';
import { CT_ENTRY_TYPE, merkleTreeLeaf, parseSctList } from './ct-encoding.js';
import { embeddedSctTbs } from './precertificate.js';

export function verifyEmbeddedSct(
  certificate: X509Certificate,
  issuer: X509Certificate,
  trustedLogKeys: readonly KeyObject[],
  where: string,
): void {
  const { tbs, sctList } = embeddedSctTbs(certificate.raw, where);
  const issuerKeyHash = sha256(issuer.publicKey.export({ type: 'spki', format: 'der' }));
  const logs = trustedLogKeys.map((key) => ({
    key,
    id: sha256(key.export({ type: 'spki', format: 'der' })),
  }));
  for (const sct of parseSctList(sctList, `${where} SCT list`)) {
    const log = logs.find((candidate) => candidate.id.equals(sct.logId));
    if (!log) continue;
    const signed = merkleTreeLeaf({
      timestampMs: sct.timestampMs,
      entryType: CT_ENTRY_TYPE.precert,
      certificate: tbs,
      issuerKeyHash,
      extensions: sct.extensions,
    });
    if (verifySignature(log.key, signed, sct.signature)) return;
  }
  throw new SigilError('BAD_CERTIFICATE', `${where}: no embedded SCT verifies with a trusted CT log's key`);
}
