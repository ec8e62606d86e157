/**
 * `sign-blob`: a signature over a file's bytes, as base64 (what cosign prints) and, when asked for, a
 * bundle: the Sigstore bundle v0.3 (cosign's default, `--new-bundle-format`) or cosign's legacy bundle.
 */
import { toBase64 } from '../core/index.js';
import { keyIdHint, publicKeyPem, type Signer } from '../crypto/index.js';
import { legacyBlobBundleJson, messageSignatureBundle } from '../formats/index.js';

export interface BlobSignature {
  signature: string;
  /** The bundle file's content, when a bundle format was requested. */
  bundle?: string;
}

export async function signBlob(
  signer: Signer,
  artifact: Uint8Array,
  bundleFormat: 'sigstore' | 'legacy' | 'none',
): Promise<BlobSignature> {
  const raw = await signer.sign(artifact);
  const signature = toBase64(raw);
  if (bundleFormat === 'none') return { signature };
  if (bundleFormat === 'legacy') {
    const cert = toBase64(Buffer.from(publicKeyPem(signer.publicKey)));
    return { signature, bundle: legacyBlobBundleJson({ base64Signature: signature, cert }) };
  }
  const bundle = messageSignatureBundle({ artifact, signature: raw, keyHint: keyIdHint(signer.publicKey) });
  return { signature, bundle: JSON.stringify(bundle) };
}
