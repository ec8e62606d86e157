/**
 * The log entries for DSSE envelopes: `dsse` 0.0.1 for bundles, and the `intoto` 0.0.2 entry cosign logs for an attestation, and the check that a logged body is about *this*
 * envelope: same payload, same signature, same key (the GHSA-whqx-f9j3-ch6m rule, for attestations).
 * Rekor's intoto type base64-encodes the payload and signatures twice; the logged body keeps only hashes
 * of the payload and envelope plus the signatures and keys.
 */
import type { KeyObject } from 'node:crypto';
import { isRecord, parseJson, SigilError, sha256 } from '../core/index.js';
import { loadPublicKeyPem } from '../crypto/index.js';
import { type DsseEnvelope, dsseEnvelopeJson } from '../formats/index.js';

const twice = (bytes: Uint8Array) => Buffer.from(Buffer.from(bytes).toString('base64')).toString('base64');

/** The `dsse` 0.0.1 entry (what cosign's new bundle format and sigstore-js log for envelopes). */
export function dsseProposal(envelope: DsseEnvelope, verifierPem: string): Record<string, unknown> {
  return {
    apiVersion: '0.0.1',
    kind: 'dsse',
    spec: {
      proposedContent: {
        envelope: dsseEnvelopeJson(envelope),
        verifiers: [Buffer.from(verifierPem).toString('base64')],
      },
    },
  };
}

export function intotoProposal(envelope: DsseEnvelope, verifierPem: string): Record<string, unknown> {
  return {
    apiVersion: '0.0.2',
    kind: 'intoto',
    spec: {
      content: {
        envelope: {
          payloadType: envelope.payloadType,
          payload: twice(envelope.payload),
          signatures: envelope.signatures.map((s) => ({
            ...(s.keyid ? { keyid: s.keyid } : {}),
            sig: twice(s.sig),
            publicKey: Buffer.from(verifierPem).toString('base64'),
          })),
        },
        // cosign's hash: of the envelope bytes exactly as the .att layer stores them (it compares the two).
        hash: { algorithm: 'sha256', value: sha256(Buffer.from(dsseEnvelopeJson(envelope))).toString('hex') },
        payloadHash: { algorithm: 'sha256', value: sha256(envelope.payload).toString('hex') },
      },
    },
  };
}

function mismatch(why: string): never {
  throw new SigilError(
    'TLOG_ENTRY_MISMATCH',
    `transparency log entry does not match the attestation: ${why}`,
  );
}

/** Throws TLOG_ENTRY_MISMATCH unless the base64 entry body logs this envelope, signed by `publicKey`. */
export function assertIntotoBodyMatches(
  bodyBase64: string,
  envelope: DsseEnvelope,
  publicKey: KeyObject,
): void {
  const body = parseJson(Buffer.from(bodyBase64, 'base64'), 'log entry body');
  if (!isRecord(body) || body.kind !== 'intoto' || body.apiVersion !== '0.0.2' || !isRecord(body.spec)) {
    mismatch('entry is not an intoto 0.0.2');
  }
  const content = isRecord(body.spec.content) ? body.spec.content : {};
  const payloadHash = isRecord(content.payloadHash) ? content.payloadHash.value : undefined;
  if (payloadHash !== sha256(envelope.payload).toString('hex')) mismatch('logged payload hash differs');
  const logged =
    isRecord(content.envelope) && Array.isArray(content.envelope.signatures)
      ? content.envelope.signatures
      : [];
  const want = publicKey.export({ type: 'spki', format: 'der' });
  const ours = new Set(envelope.signatures.map((s) => twice(s.sig)));
  const found = logged.some((s) => {
    if (!isRecord(s) || typeof s.sig !== 'string' || typeof s.publicKey !== 'string') return false;
    if (!ours.has(s.sig)) return false;
    const key = loadPublicKeyPem(Buffer.from(s.publicKey, 'base64').toString('utf8'), 'logged public key');
    return key.export({ type: 'spki', format: 'der' }).equals(want);
  });
  if (!found) mismatch("no logged signature is this envelope's signature by this key");
}
