/**
 * `sign-blob`: a signature over a file's bytes, as base64 (what cosign prints) and, when asked for, a
 * bundle: the Sigstore bundle v0.3 (cosign's default, `--new-bundle-format`) or cosign's legacy bundle.
 */
import { decodePem, toBase64 } from '../core/index.js';
import { keyIdHint, type Signer, verifierPem } from '../crypto/index.js';
import { legacyBlobBundleJson, messageSignatureBundle } from '../formats/index.js';
import { hashedRekordProposal, type RekorClient, toBundleEntry } from '../tlog/index.js';
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
    const cert = toBase64(Buffer.from(verifierPem(signer)));
    const rekorBundle = logged && {
      SignedEntryTimestamp: logged.entry.verification.signedEntryTimestamp,
      Payload: logged.entry,
    };
    return {
      signature,
      bundle: legacyBlobBundleJson({
        base64Signature: signature,
        cert,
        ...(rekorBundle ? { rekorBundle } : {}),
      }),
    };
  }
  const leaf = signer.certificateChain?.[0];
  const bundle = messageSignatureBundle({
    artifact,
    signature: raw,
    ...(leaf
      ? { certificate: decodePem(leaf, 'certificate', ['CERTIFICATE']).der }
      : { keyHint: keyIdHint(signer.publicKey) }),
    ...(logged ? { tlogEntries: [toBundleEntry(logged.entry)] } : {}),
    ...(timestamp ? { rfc3161Timestamps: [timestamp] } : {}),
  });
  return { signature, bundle: JSON.stringify(bundle) };
}
