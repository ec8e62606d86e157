/**
 * Rekor v2 write requests (`hashedRekordRequestV002`, `dsseRequestV002`, the protobuf-specs JSON forms)
 * and the 0.0.2 entries they become. As in v1, the signature must verify before anything is logged; the
 * body stored is the canonical JSON of the v2 `Entry`.
 */
import { createPublicKey, type KeyObject, X509Certificate } from 'node:crypto';
import { HashAlgorithm } from '@sigstore/protobuf-specs';
import { CreateEntryRequest, Entry } from '@sigstore/protobuf-specs/rekor/v2';
import { canonicalJson, messageOf, SigilError, sha256 } from '../core/index.js';
import { assertSupportedKey, verifyPrehashed, verifySignature } from '../crypto/index.js';
import { preAuthEncoding } from '../formats/index.js';
import type { AcceptedEntry } from './kinds.js';
import { leafHash } from './merkle.js';

type Verifier = NonNullable<
  NonNullable<
    Extract<
      NonNullable<CreateEntryRequest['spec']>,
      { $case: 'hashedRekordRequestV002' }
    >['hashedRekordRequestV002']['signature']
  >['verifier']
>;

function reject(reason: string): never {
  throw new SigilError('BAD_INPUT', reason);
}

/**
 * The key of a v2 verifier. Clients label a bare SubjectPublicKeyInfo as `x509Certificate` too
 * (@sigstore/sign does for key-based signing), so DER that is not a certificate is read as a public key.
 */
function keyOf(verifier: Verifier | undefined, path: string): KeyObject {
  const raw =
    verifier?.verifier?.$case === 'publicKey'
      ? verifier.verifier.publicKey.rawBytes
      : verifier?.verifier?.x509Certificate.rawBytes;
  if (!raw || raw.length === 0) reject(`${path} has no public key or certificate`);
  // As in v1: parsing costs more than verifying, and signers reuse a key, so keys are remembered by their
  // exact bytes (and how they were labelled); only keys that parsed and are supported are remembered.
  const cacheKey = `${verifier?.verifier?.$case}:${raw.toString('base64')}`;
  const cached = keyCache.get(cacheKey);
  if (cached) return cached;
  const key = parseKey(verifier, raw, path);
  if (keyCache.size >= KEY_CACHE_LIMIT) keyCache.clear();
  keyCache.set(cacheKey, key);
  return key;
}

const KEY_CACHE_LIMIT = 4096;
const keyCache = new Map<string, KeyObject>();

function parseKey(verifier: Verifier | undefined, raw: Buffer, path: string): KeyObject {
  let key: KeyObject;
  try {
    key =
      verifier?.verifier?.$case === 'x509Certificate' && isCertificate(raw)
        ? new X509Certificate(raw).publicKey
        : createPublicKey({ key: raw, format: 'der', type: 'spki' });
  } catch (err) {
    return reject(`${path} is not a DER certificate or public key (${messageOf(err).split('\n')[0]})`);
  }
  try {
    return assertSupportedKey(key, path);
  } catch (err) {
    return reject(messageOf(err));
  }
}

function isCertificate(der: Buffer): boolean {
  try {
    new X509Certificate(der);
    return true;
  } catch {
    return false;
  }
}

function fingerprint(key: KeyObject): string {
  return `key:${sha256(key.export({ type: 'spki', format: 'der' })).toString('hex')}`;
}

function finish(entry: Entry, indexKeys: string[]): AcceptedEntry {
  const body = Buffer.from(canonicalJson(Entry.toJSON(entry)));
  return { kind: entry.kind, apiVersion: entry.apiVersion, body, leafHash: leafHash(body), indexKeys };
}

export function acceptV2Request(input: unknown): AcceptedEntry {
  let request: CreateEntryRequest;
  try {
    request = CreateEntryRequest.fromJSON(input);
  } catch (err) {
    return reject(`not a CreateEntryRequest: ${messageOf(err)}`);
  }
  const spec = request.spec;
  if (spec?.$case === 'hashedRekordRequestV002') {
    const { digest, signature } = spec.hashedRekordRequestV002;
    if (digest.length !== 32) reject('hashedRekordRequestV002.digest must be a 32-byte SHA-256 digest');
    if (!signature || signature.content.length === 0)
      reject('hashedRekordRequestV002.signature.content is empty');
    const key = keyOf(signature.verifier, 'hashedRekordRequestV002.signature.verifier');
    if (!verifyPrehashed(key, 'sha256', digest, signature.content))
      reject('the signature does not verify against the key and digest');
    const entry: Entry = {
      kind: 'hashedrekord',
      apiVersion: '0.0.2',
      spec: {
        spec: {
          $case: 'hashedRekordV002',
          hashedRekordV002: { data: { algorithm: HashAlgorithm.SHA2_256, digest }, signature },
        },
      },
    };
    return finish(entry, [`sha256:${digest.toString('hex')}`, fingerprint(key)]);
  }
  if (spec?.$case === 'dsseRequestV002') {
    const { envelope, verifiers } = spec.dsseRequestV002;
    if (!envelope || envelope.signatures.length === 0) reject('dsseRequestV002.envelope has no signatures');
    if (verifiers.length === 0) reject('dsseRequestV002.verifiers is empty');
    const keys = verifiers.map((v, i) => ({ verifier: v, key: keyOf(v, `dsseRequestV002.verifiers[${i}]`) }));
    const signed = preAuthEncoding(envelope.payloadType, envelope.payload);
    const signatures = envelope.signatures.map((s, i) => {
      const match = keys.find((k) => verifySignature(k.key, signed, s.sig));
      if (!match) reject(`envelope signature ${i} does not verify against any verifier`);
      return { content: s.sig, verifier: match.verifier };
    });
    const entry: Entry = {
      kind: 'dsse',
      apiVersion: '0.0.2',
      spec: {
        spec: {
          $case: 'dsseV002',
          dsseV002: {
            payloadHash: { algorithm: HashAlgorithm.SHA2_256, digest: sha256(envelope.payload) },
            signatures,
          },
        },
      },
    };
    return finish(entry, [
      `sha256:${sha256(envelope.payload).toString('hex')}`,
      ...keys.map((k) => fingerprint(k.key)),
    ]);
  }
  return reject('the request holds neither hashedRekordRequestV002 nor dsseRequestV002');
}
