/**
 * The hashedrekord entry for a signature, and the check that a logged body is about *this* signature:
 * same signature bytes, same key, same digest. A valid log entry for some other signature must never vouch
 * for this one (GHSA-whqx-f9j3-ch6m was exactly that gap in cosign).
 */
import type { KeyObject } from 'node:crypto';
import { isRecord, parseJson, SigilError, sha256 } from '../core/index.js';
import { loadPublicKeyPem } from '../crypto/index.js';

export interface HashedRekordProposal {
  apiVersion: string;
  kind: string;
  spec: {
    data: { hash: { algorithm: string; value: string } };
    signature: { content: string; publicKey: { content: string } };
  };
}

export function hashedRekordProposal(
  artifact: Uint8Array,
  signature: Uint8Array,
  /** The signer's PEM public key, or its PEM certificate for keyless signatures. */
  verifier: string,
): HashedRekordProposal {
  return {
    apiVersion: '0.0.1',
    kind: 'hashedrekord',
    spec: {
      data: { hash: { algorithm: 'sha256', value: sha256(artifact).toString('hex') } },
      signature: {
        content: Buffer.from(signature).toString('base64'),
        publicKey: { content: Buffer.from(verifier).toString('base64') },
      },
    },
  };
}

function mismatch(why: string): never {
  throw new SigilError('TLOG_ENTRY_MISMATCH', `transparency log entry does not match the signature: ${why}`);
}

/** Throws TLOG_ENTRY_MISMATCH unless the base64 entry body logs `signature` by `publicKey` over `artifact`. */
export function assertBodyMatches(
  bodyBase64: string,
  artifact: Uint8Array,
  signature: Uint8Array,
  publicKey: KeyObject,
): void {
  const body = parseJson(Buffer.from(bodyBase64, 'base64'), 'log entry body');
  if (
    !isRecord(body) ||
    body.kind !== 'hashedrekord' ||
    body.apiVersion !== '0.0.1' ||
    !isRecord(body.spec)
  ) {
    mismatch('entry is not a hashedrekord 0.0.1');
  }
  const spec = body.spec;
  const data = isRecord(spec.data) && isRecord(spec.data.hash) ? spec.data.hash : {};
  const sig = isRecord(spec.signature) ? spec.signature : {};
  const key = isRecord(sig.publicKey) ? sig.publicKey.content : undefined;
  if (data.algorithm !== 'sha256' || data.value !== sha256(artifact).toString('hex'))
    mismatch('logged digest differs');
  if (typeof sig.content !== 'string' || !Buffer.from(sig.content, 'base64').equals(Buffer.from(signature))) {
    mismatch('logged signature differs');
  }
  if (typeof key !== 'string') mismatch('entry has no public key');
  const logged = loadPublicKeyPem(Buffer.from(key, 'base64').toString('utf8'), 'logged public key');
  const want = publicKey.export({ type: 'spki', format: 'der' });
  if (!logged.export({ type: 'spki', format: 'der' }).equals(want)) mismatch('logged public key differs');
}
