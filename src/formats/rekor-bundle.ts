/**
 * cosign's `dev.sigstore.cosign/bundle` annotation: the log's SignedEntryTimestamp and the entry it
 * covers, `{"SignedEntryTimestamp": b64, "Payload": {"body", "integratedTime", "logIndex", "logID"}}`.
 */
import { isRecord, parseJson, SigilError } from '../core/index.js';

export interface RekorBundle {
  SignedEntryTimestamp: string;
  Payload: { body: string; integratedTime: number; logIndex: number; logID: string };
}

export function rekorBundleJson(bundle: RekorBundle): string {
  const { body, integratedTime, logIndex, logID } = bundle.Payload;
  return JSON.stringify({
    SignedEntryTimestamp: bundle.SignedEntryTimestamp,
    Payload: { body, integratedTime, logIndex, logID },
  });
}

export function parseRekorBundle(text: string, where: string): RekorBundle {
  const json = parseJson(text, where);
  const payload = isRecord(json) ? json.Payload : undefined;
  if (
    !isRecord(json) ||
    typeof json.SignedEntryTimestamp !== 'string' ||
    !isRecord(payload) ||
    typeof payload.body !== 'string' ||
    typeof payload.integratedTime !== 'number' ||
    typeof payload.logIndex !== 'number' ||
    typeof payload.logID !== 'string'
  ) {
    throw new SigilError(
      'BAD_BUNDLE',
      `${where}: expected {"SignedEntryTimestamp", "Payload": {"body", "integratedTime", "logIndex", "logID"}}`,
    );
  }
  const { body, integratedTime, logIndex, logID } = payload;
  return {
    SignedEntryTimestamp: json.SignedEntryTimestamp,
    Payload: { body, integratedTime, logIndex, logID },
  };
}

/**
 * The same entry as a Sigstore bundle's TransparencyLogEntry (protobuf JSON): the SET becomes the
 * inclusion promise and the kind/version come from the logged body, so a bundle verifier can check it.
 */
export function rekorBundleToTlogEntryJson(bundle: RekorBundle, where: string): Record<string, unknown> {
  const { body, integratedTime, logIndex, logID } = bundle.Payload;
  const parsed = parseJson(Buffer.from(body, 'base64'), `${where}: body`);
  if (!isRecord(parsed) || typeof parsed.kind !== 'string' || typeof parsed.apiVersion !== 'string') {
    throw new SigilError('BAD_BUNDLE', `${where}: the logged body has no kind and apiVersion`);
  }
  return {
    logIndex: String(logIndex),
    logId: { keyId: Buffer.from(logID, 'hex').toString('base64') },
    kindVersion: { kind: parsed.kind, version: parsed.apiVersion },
    integratedTime: String(integratedTime),
    inclusionPromise: { signedEntryTimestamp: bundle.SignedEntryTimestamp },
    canonicalizedBody: body,
  };
}

/** cosign's `dev.sigstore.cosign/rfc3161timestamp` annotation: `{"SignedRFC3161Timestamp": b64 DER}`. */
export function timestampAnnotationJson(der: Uint8Array): string {
  return JSON.stringify({ SignedRFC3161Timestamp: Buffer.from(der).toString('base64') });
}

/** The base64 timestamp response inside the annotation. */
export function parseTimestampAnnotation(text: string, where: string): string {
  const json = parseJson(text, where);
  if (!isRecord(json) || typeof json.SignedRFC3161Timestamp !== 'string') {
    throw new SigilError('BAD_BUNDLE', `${where}: expected {"SignedRFC3161Timestamp": base64}`);
  }
  return json.SignedRFC3161Timestamp;
}
