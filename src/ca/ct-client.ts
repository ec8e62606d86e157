/**
 * The CA's client of an external RFC 6962 log (`ca serve --ct-log-url`, Fulcio's flag): it submits the
 * precertificate chain to `add-pre-chain` and turns the JSON answer into the serialized SCT that goes
 * into the certificate. Given the log's public key, it checks the SCT's signature before using it, so a
 * wrong or misbehaving log cannot make the CA issue certificates that verifiers will reject.
 */
import { type KeyObject, X509Certificate } from 'node:crypto';
import { callService, isRecord, SigilError, sha256 } from '../core/index.js';
import { verifySignature } from '../crypto/index.js';
import { CT_ENTRY_TYPE, merkleTreeLeaf, parseDigitallySigned, serializeSct } from './ct-encoding.js';
import type { CtSubmitter } from './ct-log.js';
import { precertificateTbs } from './precertificate.js';

export function ctLogClient(baseUrl: string, publicKey?: KeyObject, timeoutMs = 30_000): CtSubmitter {
  const url = `${baseUrl.replace(/\/$/, '')}/ct/v1/add-pre-chain`;
  return {
    async submitPrecertificate(chain) {
      const response = await callService('POST', url, {
        body: { chain: chain.map((der) => der.toString('base64')) },
        timeoutMs,
        unreachableHint: 'is the CT log running at --ct-log-url?',
      });
      const answer: unknown = await response.json().catch(() => undefined);
      const sct = sctFromJson(answer, `POST ${url}`);
      if (publicKey) checkSct(sct, chain, publicKey, url);
      return serializeSct(sct.logId, sct.timestampMs, sct.signature);
    },
  };
}

interface ParsedSct {
  logId: Buffer;
  timestampMs: number;
  signature: Buffer;
}

function sctFromJson(answer: unknown, where: string): ParsedSct {
  if (
    !isRecord(answer) ||
    answer.sct_version !== 0 ||
    typeof answer.id !== 'string' ||
    typeof answer.timestamp !== 'number' ||
    typeof answer.signature !== 'string'
  ) {
    throw new SigilError('BAD_JSON', `${where}: the answer is not a v1 SCT`);
  }
  if (answer.extensions !== undefined && answer.extensions !== '') {
    throw new SigilError('UNSUPPORTED', `${where}: SCT extensions are not supported`);
  }
  const logId = Buffer.from(answer.id, 'base64');
  if (logId.length !== 32) throw new SigilError('BAD_JSON', `${where}: the SCT's log id is not 32 bytes`);
  const signature = parseDigitallySigned(Buffer.from(answer.signature, 'base64'), `${where}: SCT signature`);
  return { logId, timestampMs: answer.timestamp, signature };
}

function checkSct(sct: ParsedSct, chain: readonly Buffer[], publicKey: KeyObject, url: string): void {
  const [precertificate, issuer] = chain;
  if (!precertificate || !issuer)
    throw new SigilError('BAD_INPUT', 'a precertificate chain needs its issuer');
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const leaf = merkleTreeLeaf({
    timestampMs: sct.timestampMs,
    entryType: CT_ENTRY_TYPE.precert,
    certificate: precertificateTbs(precertificate),
    issuerKeyHash: sha256(new X509Certificate(issuer).publicKey.export({ type: 'spki', format: 'der' })),
  });
  if (!sct.logId.equals(sha256(spki)) || !verifySignature(publicKey, leaf, sct.signature)) {
    throw new SigilError(
      'SIGNATURE_MISMATCH',
      `the SCT from ${url} does not verify with the CT log's public key`,
    );
  }
}
