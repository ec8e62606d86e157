/**
 * Rekor v2 write requests (`hashedRekordRequestV002`, `dsseRequestV002`, the protobuf-specs JSON forms)
 * and the 0.0.2 entries they become. As in v1, the signature must verify before anything is logged; the
 * body stored is the canonical JSON of the v2 `Entry`.
 */
import { HashAlgorithm } from '@sigstore/protobuf-specs';
import { CreateEntryRequest, Entry } from '@sigstore/protobuf-specs/rekor/v2';
import { canonicalJson, messageOf, SigilError, sha256 } from '../core/index.js';
import { verifyPrehashed, verifySignature } from '../crypto/index.js';
import { preAuthEncoding } from '../formats/index.js';
import type { AcceptedEntry } from './kinds.js';
import { leafHash } from './merkle.js';
import { type VerifierKey, verifierKey } from './verifier-keys.js';

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

/** The key of a v2 verifier (see verifierKey: a bare key may come labelled as a certificate). */
function keyOf(verifier: Verifier | undefined, path: string): VerifierKey {
  const labelledCertificate = verifier?.verifier?.$case === 'x509Certificate';
  const raw =
    verifier?.verifier?.$case === 'publicKey'
      ? verifier.verifier.publicKey.rawBytes
      : verifier?.verifier?.x509Certificate.rawBytes;
  return verifierKey(raw ?? Buffer.alloc(0), labelledCertificate, path);
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
    const { key, fingerprint, identityKeys } = keyOf(
      signature.verifier,
      'hashedRekordRequestV002.signature.verifier',
    );
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
    return finish(entry, [`sha256:${digest.toString('hex')}`, fingerprint, ...identityKeys]);
  }
  if (spec?.$case === 'dsseRequestV002') {
    const { envelope, verifiers } = spec.dsseRequestV002;
    if (!envelope || envelope.signatures.length === 0) reject('dsseRequestV002.envelope has no signatures');
    if (verifiers.length === 0) reject('dsseRequestV002.verifiers is empty');
    const keys = verifiers.map((v, i) => ({ verifier: v, ...keyOf(v, `dsseRequestV002.verifiers[${i}]`) }));
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
      ...keys.flatMap((k) => [k.fingerprint, ...k.identityKeys]),
    ]);
  }
  return reject('the request holds neither hashedRekordRequestV002 nor dsseRequestV002');
}
