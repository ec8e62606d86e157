/**
 * The log entries for DSSE envelopes: `dsse` 0.0.1 for bundles (and cosign v3's `.att` attestations), and
 * the `intoto` 0.0.2 entry cosign v2 logs for an attestation, and the check that a logged body is about *this*
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

/**
 * The `intoto` 0.0.2 entry for an envelope stored as `envelopeJson` (the `.att` layer's bytes). Its
 * `hash` is the SHA-256 of those bytes, as cosign sends it: Rekor requires it and keeps it as given, and
 * cosign's verify-attestation checks it against the layer.
 */
export function intotoProposal(
  envelope: DsseEnvelope,
  verifierPem: string,
  envelopeJson: string = dsseEnvelopeJson(envelope),
): Record<string, unknown> {
  return {
    apiVersion: '0.0.2',
    kind: 'intoto',
    spec: {
      content: {
        hash: { algorithm: 'sha256', value: sha256(envelopeJson).toString('hex') },
        payloadHash: { algorithm: 'sha256', value: sha256(envelope.payload).toString('hex') },
        envelope: {
          payloadType: envelope.payloadType,
          payload: twice(envelope.payload),
          signatures: envelope.signatures.map((s) => ({
            ...(s.keyid ? { keyid: s.keyid } : {}),
            sig: twice(s.sig),
            publicKey: Buffer.from(verifierPem).toString('base64'),
          })),
        },
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

/**
 * Throws TLOG_ENTRY_MISMATCH unless the base64 entry body logs this envelope, signed by `publicKey`: an
 * `intoto` 0.0.2 entry (cosign v2's for `.att` attestations) or a `dsse` 0.0.1 one (cosign v3's).
 */
export function assertEnvelopeBodyMatches(
  bodyBase64: string,
  envelope: DsseEnvelope,
  publicKey: KeyObject,
): void {
  const body = parseJson(Buffer.from(bodyBase64, 'base64'), 'log entry body');
  if (!isRecord(body) || !isRecord(body.spec)) mismatch('entry has no spec');
  const logged = loggedEnvelope(body.kind, body.apiVersion, body.spec);
  if (logged.payloadHash !== sha256(envelope.payload).toString('hex'))
    mismatch('logged payload hash differs');
  const want = publicKey.export({ type: 'spki', format: 'der' });
  const ours = new Set(envelope.signatures.map((s) => s.sig.toString('base64')));
  const found = logged.signatures.some((s) => {
    if (!ours.has(s.sig)) return false;
    const key = loadPublicKeyPem(Buffer.from(s.publicKey, 'base64').toString('utf8'), 'logged public key');
    return key.export({ type: 'spki', format: 'der' }).equals(want);
  });
  if (!found) mismatch("no logged signature is this envelope's signature by this key");
}

/** The payload hash and (signature, base64 PEM key) pairs an entry logs, with single-base64 signatures. */
function loggedEnvelope(
  kind: unknown,
  apiVersion: unknown,
  spec: Record<string, unknown>,
): { payloadHash: unknown; signatures: { sig: string; publicKey: string }[] } {
  const hashOf = (value: unknown) => (isRecord(value) ? value.value : undefined);
  if (kind === 'dsse' && apiVersion === '0.0.1') {
    const listed = Array.isArray(spec.signatures) ? spec.signatures : [];
    return {
      payloadHash: hashOf(spec.payloadHash),
      signatures: listed.flatMap((s) =>
        isRecord(s) && typeof s.signature === 'string' && typeof s.verifier === 'string'
          ? [{ sig: s.signature, publicKey: s.verifier }]
          : [],
      ),
    };
  }
  if (kind === 'intoto' && apiVersion === '0.0.2') {
    const content = isRecord(spec.content) ? spec.content : {};
    const listed =
      isRecord(content.envelope) && Array.isArray(content.envelope.signatures)
        ? content.envelope.signatures
        : [];
    return {
      payloadHash: hashOf(content.payloadHash),
      // intoto keeps the signature base64-encoded twice.
      signatures: listed.flatMap((s) =>
        isRecord(s) && typeof s.sig === 'string' && typeof s.publicKey === 'string'
          ? [{ sig: Buffer.from(s.sig, 'base64').toString('utf8'), publicKey: s.publicKey }]
          : [],
      ),
    };
  }
  return mismatch(`entry is ${String(kind)} ${String(apiVersion)}, not intoto 0.0.2 or dsse 0.0.1`);
}
