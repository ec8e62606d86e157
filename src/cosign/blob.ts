/**
 * `sign-blob`: a signature over a file's bytes, as base64 (what cosign prints) and, when asked for, a
 * bundle: the Sigstore bundle v0.3 (cosign's default, `--new-bundle-format`) or cosign's legacy bundle.
 */
import { decodePem, toBase64 } from '../core/index.js';
import { keyIdHint, type Signer, verifierPem } from '../crypto/index.js';
import {
  IN_TOTO_PAYLOAD_TYPE,
  type InTotoStatement,
  legacyBlobBundleJson,
  preAuthEncoding,
  signatureBundle,
} from '../formats/index.js';
import { dsseProposal, hashedRekordProposal, type RekorClient, toBundleEntry } from '../tlog/index.js';
import { requestTimestamp } from '../tsa/index.js';

export interface BlobSignature {
  signature: string;
  /** The bundle file's content, when a bundle format was requested. */
  bundle?: string;
}

export async function signBlob(
  signer: Signer,
  artifact: Uint8Array,
  bundleFormat: 'sigstore' | 'legacy' | 'none',
  tlog?: RekorClient,
  /** An RFC 3161 timestamp authority (cosign's --timestamp-server-url): a trusted signing time for the bundle. */
  tsaUrl?: string,
): Promise<BlobSignature> {
  const raw = await signer.sign(artifact);
  const timestamp = tsaUrl ? await requestTimestamp(tsaUrl, raw) : undefined;
  const signature = toBase64(raw);
  const logged = tlog
    ? await tlog.createEntry(hashedRekordProposal(artifact, raw, verifierPem(signer)))
    : undefined;
  if (bundleFormat === 'none') return { signature };
  if (bundleFormat === 'legacy') {
    // The certificate of a keyless signer only: cosign writes no `cert` for a key, and cosign v2 reads
    // any `cert` as an X.509 certificate (a public key PEM there fails with "malformed serial number").
    const leaf = signer.certificateChain?.[0];
    const rekorBundle = logged && {
      SignedEntryTimestamp: logged.entry.verification.signedEntryTimestamp,
      Payload: logged.entry,
    };
    return {
      signature,
      bundle: legacyBlobBundleJson({
        base64Signature: signature,
        ...(leaf ? { cert: toBase64(Buffer.from(leaf)) } : {}),
        ...(rekorBundle ? { rekorBundle } : {}),
      }),
    };
  }
  const bundle = signatureBundle({
    artifact,
    signature: raw,
    ...signerMaterial(signer),
    ...(logged ? { tlogEntries: [toBundleEntry(logged.entry)] } : {}),
    ...(timestamp ? { rfc3161Timestamps: [timestamp] } : {}),
  });
  return { signature, bundle: JSON.stringify(bundle) };
}

/**
 * `attest-blob`: an in-toto statement about a file (subject: its name and SHA-256), signed as a DSSE
 * envelope, logged as a `dsse` entry, and returned as a Sigstore bundle (cosign's new bundle format).
 */
export async function attestBlob(
  signer: Signer,
  statement: InTotoStatement,
  tlog?: RekorClient,
  tsaUrl?: string,
): Promise<string> {
  const payload = Buffer.from(JSON.stringify(statement));
  const raw = await signer.sign(preAuthEncoding(IN_TOTO_PAYLOAD_TYPE, payload));
  const timestamp = tsaUrl ? await requestTimestamp(tsaUrl, raw) : undefined;
  const envelope = { payloadType: IN_TOTO_PAYLOAD_TYPE, payload, signatures: [{ sig: Buffer.from(raw) }] };
  const logged = tlog ? await tlog.createEntry(dsseProposal(envelope, verifierPem(signer))) : undefined;
  const bundle = signatureBundle({
    artifact: payload,
    signature: raw,
    dssePayloadType: IN_TOTO_PAYLOAD_TYPE,
    ...signerMaterial(signer),
    ...(logged ? { tlogEntries: [toBundleEntry(logged.entry)] } : {}),
    ...(timestamp ? { rfc3161Timestamps: [timestamp] } : {}),
  });
  return JSON.stringify(bundle);
}

/** Who signed, as a bundle names it: the leaf certificate of a keyless signer, else a key hint. */
function signerMaterial(signer: Signer): { certificate: Buffer } | { keyHint: string } {
  const leaf = signer.certificateChain?.[0];
  return leaf
    ? { certificate: decodePem(leaf, 'certificate', ['CERTIFICATE']).der }
    : { keyHint: keyIdHint(signer.publicKey) };
}
