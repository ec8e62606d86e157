/**
 * The Notary Project payload (`application/vnd.cncf.notary.payload.v1+json`): the descriptor of the signed
 * artifact, with the signer's user metadata as its annotations. What is signed is the descriptor, so a
 * verifier compares it with the one it resolved itself (media type, digest and size).
 */
import { isRecord, parseJson, SigilError } from '../core/index.js';
import { type Descriptor, parseDescriptor } from '../oci/index.js';

export interface NotationPayload {
  targetArtifact: Descriptor;
}

/** The payload bytes for `target`, with `annotations` (user metadata) when there are any. */
export function encodePayload(target: Descriptor, annotations: Record<string, string> = {}): Buffer {
  const descriptor: Descriptor = { mediaType: target.mediaType, digest: target.digest, size: target.size };
  if (Object.keys(annotations).length > 0) descriptor.annotations = annotations;
  return Buffer.from(JSON.stringify({ targetArtifact: descriptor }));
}

export function parsePayload(bytes: Uint8Array, where: string): NotationPayload {
  const value = parseJson(Buffer.from(bytes).toString('utf8'), `${where} payload`);
  if (!isRecord(value) || !isRecord(value.targetArtifact)) {
    throw new SigilError('BAD_INPUT', `${where}: payload has no targetArtifact`);
  }
  return { targetArtifact: parseDescriptor(value.targetArtifact, `${where} payload targetArtifact`) };
}

/** Whether the payload's descriptor names `target` (media type, digest and size, as notation compares). */
export function payloadMatches(payload: NotationPayload, target: Descriptor): boolean {
  const signed = payload.targetArtifact;
  return (
    signed.mediaType === target.mediaType && signed.digest === target.digest && signed.size === target.size
  );
}
