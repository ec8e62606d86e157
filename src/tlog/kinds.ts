/**
 * Entry kinds the log accepts (Rekor v1 types): `hashedrekord` 0.0.1, `dsse` 0.0.1 and `intoto` 0.0.2. A proposed entry is
 * checked before anything is stored: its signature must verify against the key or certificate it names.
 * What is stored and hashed into the tree is the canonical JSON (RFC 8785) of the entry as Rekor stores it.
 */
import type { KeyObject } from 'node:crypto';
import { BoundedMap, canonicalJson, fromBase64, isRecord, SigilError, sha256 } from '../core/index.js';
import { type DigestAlgorithm, loadPublicKeyPem, verifyPrehashed, verifySignature } from '../crypto/index.js';
import { parseDsseEnvelope, preAuthEncoding } from '../formats/index.js';
import { pemSearchKeys } from './entry-keys.js';
import { leafHash } from './merkle.js';

export interface AcceptedEntry {
  kind: string;
  apiVersion: string;
  /** Canonical JSON body: what the leaf hash covers and what `body` returns (base64). */
  body: Buffer;
  leafHash: Buffer;
  /** Search keys: `sha256:<hex>` artifact hashes, `key:<hex>` key fingerprints, certificate `email:` / `subject:` / `issuer:`. */
  indexKeys: string[];
}

const DIGEST_LENGTHS: Record<DigestAlgorithm, number> = { sha256: 64, sha384: 96, sha512: 128 };

function reject(reason: string): never {
  throw new SigilError('BAD_INPUT', reason);
}

function field(value: unknown, path: string): Record<string, unknown> {
  if (!isRecord(value)) reject(`${path} must be an object`);
  return value;
}

function text(value: unknown, path: string): string {
  if (typeof value !== 'string' || value === '') reject(`${path} must be a non-empty string`);
  return value;
}

// Parsing a PEM key costs more than checking a signature with it, and CI signers reuse one key, so keys are
// remembered by their exact text (bounded: the least recently used goes first).
const keyCache = new BoundedMap<string, ParsedKey>(4096);

interface ParsedKey {
  key: KeyObject;
  /** Search keys: `key:` + hex SHA-256 of the DER public key; for certificates also their `email:` / `subject:` SANs and `issuer:`. */
  indexKeys: string[];
}

/** A `{algorithm: "sha256", value: <hex>}` digest field. */
function sha256Hex(value: unknown, path: string): string {
  const digest = field(value, path);
  const hex = text(digest.value, `${path}.value`);
  if (digest.algorithm !== 'sha256' || !/^[0-9a-f]{64}$/.test(hex)) {
    reject(`${path} is not a sha256 digest (algorithm "sha256", 64 lower-case hex digits)`);
  }
  return hex;
}

/** A key or certificate given as base64 of PEM, as Rekor's types carry it. */
function publicKeyOf(base64Pem: string, path: string): ParsedKey {
  const cached = keyCache.get(base64Pem);
  if (cached) return cached;
  const pem = fromBase64(base64Pem, path).toString('utf8');
  let key: KeyObject;
  try {
    key = loadPublicKeyPem(pem, path);
  } catch (err) {
    return reject((err as Error).message);
  }
  const parsed = {
    key,
    indexKeys: [
      `key:${sha256(key.export({ type: 'spki', format: 'der' })).toString('hex')}`,
      ...pemSearchKeys(pem),
    ],
  };
  keyCache.set(base64Pem, parsed);
  return parsed;
}

/** Validates a proposed entry (the POST body) and returns what the log stores; BAD_INPUT with the reason otherwise. */
export function acceptProposedEntry(input: unknown): AcceptedEntry {
  const entry = field(input, 'entry');
  const kind = text(entry.kind, 'kind');
  const apiVersion = text(entry.apiVersion, 'apiVersion');
  const spec = field(entry.spec, 'spec');
  if (kind === 'hashedrekord' && apiVersion === '0.0.1') return hashedRekord(spec);
  if (kind === 'dsse' && apiVersion === '0.0.1') return dsse(spec);
  if (kind === 'intoto' && apiVersion === '0.0.2') return intoto(spec);
  return reject(
    `unsupported entry kind ${kind} ${apiVersion} (supported: hashedrekord 0.0.1, dsse 0.0.1, intoto 0.0.2)`,
  );
}

// Entry bundles of the tiles API prefix each body with a uint16 length.
const MAX_BODY_BYTES = 65_535;

function finish(kind: string, apiVersion: string, spec: unknown, indexKeys: string[]): AcceptedEntry {
  const body = Buffer.from(canonicalJson({ apiVersion, kind, spec }));
  if (body.length > MAX_BODY_BYTES)
    reject(`the entry's canonical body is ${body.length} bytes, more than ${MAX_BODY_BYTES}`);
  return { kind, apiVersion, body, leafHash: leafHash(body), indexKeys };
}

function hashedRekord(spec: Record<string, unknown>): AcceptedEntry {
  const hash = field(field(spec.data, 'spec.data').hash, 'spec.data.hash');
  const algorithm = text(hash.algorithm, 'spec.data.hash.algorithm');
  if (!(algorithm in DIGEST_LENGTHS))
    reject(`spec.data.hash.algorithm ${algorithm} is not sha256, sha384 or sha512`);
  const value = text(hash.value, 'spec.data.hash.value');
  if (!/^[0-9a-f]+$/.test(value) || value.length !== DIGEST_LENGTHS[algorithm as DigestAlgorithm]) {
    reject(`spec.data.hash.value is not a lower-case hex ${algorithm} digest`);
  }
  const signature = field(spec.signature, 'spec.signature');
  const content = text(signature.content, 'spec.signature.content');
  const keyContent = text(
    field(signature.publicKey, 'spec.signature.publicKey').content,
    'spec.signature.publicKey.content',
  );
  const { key, indexKeys } = publicKeyOf(keyContent, 'spec.signature.publicKey.content');
  const sig = fromBase64(content, 'spec.signature.content');
  if (!verifyPrehashed(key, algorithm as DigestAlgorithm, Buffer.from(value, 'hex'), sig)) {
    reject('spec.signature.content does not verify against the public key and digest');
  }
  const canonicalSpec = {
    data: { hash: { algorithm, value } },
    signature: { content, publicKey: { content: keyContent } },
  };
  return finish('hashedrekord', '0.0.1', canonicalSpec, [`${algorithm}:${value}`, ...indexKeys]);
}

function dsse(spec: Record<string, unknown>): AcceptedEntry {
  const proposed = field(spec.proposedContent, 'spec.proposedContent');
  const envelopeText = text(proposed.envelope, 'spec.proposedContent.envelope');
  const verifierTexts = proposed.verifiers;
  if (!Array.isArray(verifierTexts) || verifierTexts.length === 0)
    reject('spec.proposedContent.verifiers must list keys');
  const verifiers = verifierTexts.map((v, i) => {
    const path = `spec.proposedContent.verifiers[${i}]`;
    return { text: text(v, path), ...publicKeyOf(text(v, path), path) };
  });
  const envelope = parseDsseEnvelope(envelopeText, 'spec.proposedContent.envelope');
  const signed = preAuthEncoding(envelope.payloadType, envelope.payload);
  const signatures = envelope.signatures.map(({ sig }, i) => {
    const verifier = verifiers.find((v) => verifySignature(v.key, signed, sig));
    if (!verifier) reject(`envelope signature ${i} does not verify against any of the verifiers`);
    return { signature: sig.toString('base64'), verifier: verifier.text };
  });
  const payloadHash = sha256(envelope.payload).toString('hex');
  const canonicalSpec = {
    envelopeHash: { algorithm: 'sha256', value: sha256(envelopeText).toString('hex') },
    payloadHash: { algorithm: 'sha256', value: payloadHash },
    signatures,
  };
  return finish('dsse', '0.0.1', canonicalSpec, [
    `sha256:${payloadHash}`,
    ...verifiers.flatMap((v) => v.indexKeys),
  ]);
}

/**
 * intoto 0.0.2 carries the envelope with its payload and signatures base64-encoded twice (Rekor's wire
 * form). The stored body keeps the signatures and hashes, not the payload, as Rekor does.
 */
function intoto(spec: Record<string, unknown>): AcceptedEntry {
  const content = field(spec.content, 'spec.content');
  const envelope = field(content.envelope, 'spec.content.envelope');
  const payloadType = text(envelope.payloadType, 'spec.content.envelope.payloadType');
  const twice = (value: unknown, path: string) =>
    fromBase64(fromBase64(text(value, path), path).toString('utf8'), path);
  const payload = twice(envelope.payload, 'spec.content.envelope.payload');
  if (!Array.isArray(envelope.signatures) || envelope.signatures.length === 0)
    reject('spec.content.envelope.signatures is empty');
  const signed = preAuthEncoding(payloadType, payload);
  const parsed = envelope.signatures.map((value, i) => {
    const path = `spec.content.envelope.signatures[${i}]`;
    const signature = field(value, path);
    const publicKey = text(signature.publicKey, `${path}.publicKey`);
    const { indexKeys, key } = publicKeyOf(publicKey, `${path}.publicKey`);
    const sig = twice(signature.sig, `${path}.sig`);
    if (!verifySignature(key, signed, sig)) reject(`${path} does not verify against its public key`);
    const keyid =
      typeof signature.keyid === 'string' && signature.keyid !== '' ? { keyid: signature.keyid } : {};
    return { stored: { ...keyid, publicKey, sig: text(signature.sig, `${path}.sig`) }, indexKeys };
  });
  const payloadHash = sha256(payload).toString('hex');
  const claimed = isRecord(content.payloadHash) ? content.payloadHash.value : undefined;
  if (claimed !== undefined && claimed !== payloadHash)
    reject('spec.content.payloadHash does not match the payload');
  // Rekor cannot recompute the envelope hash (clients hash different serialisations: cosign the envelope
  // bytes it stores in the .att layer, sigstore-js a canonical form with the keys), so it keeps the one
  // the client sends, and refuses an entry without it. cosign checks it against the stored envelope.
  const envelopeHash = sha256Hex(content.hash, 'spec.content.hash');
  const canonicalSpec = {
    content: {
      envelope: { payloadType, signatures: parsed.map((p) => p.stored) },
      hash: { algorithm: 'sha256', value: envelopeHash },
      payloadHash: { algorithm: 'sha256', value: payloadHash },
    },
  };
  return finish('intoto', '0.0.2', canonicalSpec, [
    `sha256:${payloadHash}`,
    ...parsed.flatMap((p) => p.indexKeys),
  ]);
}
