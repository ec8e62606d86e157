/**
 * What an entry body says, by kind: the artifact or payload hash, the signatures, and the certificates or
 * keys that made them (base64 PEM in Rekor v1 kinds, base64 DER in v2's x509Certificate.rawBytes).
 */
import { fromBase64, fromUtf8, pemBlock, sha256, toHex } from './bytes.js';
import { type DecodedCertificate, decodeCertificate } from './x509.js';

export interface Verifier {
  certificate?: DecodedCertificate;
  /** For a bare key: hex SHA-256 of its DER (what the log's public-key search takes). */
  keyFingerprint?: string;
  error?: string;
}

export interface EntryContent {
  hash?: { algorithm: string; value: string };
  signatures: string[];
  verifiers: Verifier[];
}

type Json = Record<string, unknown>;
const rec = (v: unknown): Json =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {};
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

async function verifierOf(material: string, der: boolean): Promise<Verifier> {
  try {
    if (der) return { certificate: decodeCertificate(fromBase64(material)) };
    const pem = fromUtf8(fromBase64(material));
    const cert = pemBlock(pem, 'CERTIFICATE');
    if (cert) return { certificate: decodeCertificate(cert) };
    const key = pemBlock(pem, 'PUBLIC KEY');
    if (key) return { keyFingerprint: toHex(await sha256(key)) };
    return { error: 'neither a certificate nor a public key' };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

export async function entryContent(body: Json): Promise<EntryContent> {
  const spec = rec(body.spec);
  const content: EntryContent = { signatures: [], verifiers: [] };
  const add = async (material: string | undefined, der = false) => {
    if (material) content.verifiers.push(await verifierOf(material, der));
  };
  if (body.kind === 'hashedrekord' && body.apiVersion === '0.0.1') {
    const hash = rec(rec(spec.data).hash);
    content.hash = { algorithm: str(hash.algorithm) ?? '?', value: str(hash.value) ?? '?' };
    const signature = rec(spec.signature);
    if (str(signature.content)) content.signatures.push(str(signature.content) as string);
    await add(str(rec(signature.publicKey).content));
  } else if (body.kind === 'dsse' && body.apiVersion === '0.0.1') {
    const hash = rec(spec.payloadHash);
    content.hash = { algorithm: `payload ${str(hash.algorithm) ?? '?'}`, value: str(hash.value) ?? '?' };
    for (const s of arr(spec.signatures).map(rec)) {
      if (str(s.signature)) content.signatures.push(str(s.signature) as string);
      await add(str(s.verifier));
    }
  } else if (body.kind === 'intoto') {
    const inner = rec(spec.content);
    const hash = rec(inner.payloadHash);
    content.hash = { algorithm: `payload ${str(hash.algorithm) ?? '?'}`, value: str(hash.value) ?? '?' };
    for (const s of arr(rec(inner.envelope).signatures).map(rec)) {
      if (str(s.sig)) content.signatures.push(str(s.sig) as string);
      await add(str(s.publicKey));
    }
  } else {
    // Rekor v2 (0.0.2): hashedRekordV002 / dsseV002 with verifiers holding raw bytes.
    const v2 = rec(spec.hashedRekordV002 ?? spec.dsseV002);
    const data = rec(v2.data ?? v2.payloadHash);
    if (str(data.digest))
      content.hash = { algorithm: 'sha256', value: toHex(fromBase64(str(data.digest) as string)) };
    const signatures = v2.signature ? [rec(v2.signature)] : arr(v2.signatures).map(rec);
    for (const s of signatures) {
      if (str(s.content)) content.signatures.push(str(s.content) as string);
      const verifier = rec(s.verifier);
      const cert = str(rec(verifier.x509Certificate).rawBytes);
      if (cert) await add(cert, true);
      const key = str(rec(verifier.publicKey).rawBytes);
      if (key) content.verifiers.push({ keyFingerprint: toHex(await sha256(fromBase64(key))) });
    }
  }
  return content;
}
