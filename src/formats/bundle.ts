/**
 * Sigstore bundles (protobuf-specs `dev.sigstore.bundle`, media types v0.1-v0.3) through the Sigstore
 * project's own @sigstore/bundle, and cosign's legacy blob bundle `{"base64Signature","cert","rekorBundle"}`
 * (cosign `LocalSignedPayload`) that `sign-blob --new-bundle-format=false --bundle` writes.
 */
import {
  type Bundle,
  bundleFromJSON,
  bundleToJSON,
  type SerializedBundle,
  type TransparencyLogEntry,
  toDSSEBundle,
  toMessageSignatureBundle,
} from '@sigstore/bundle';
import { decodePem, fromBase64, isRecord, parseJson, SigilError, sha256 } from '../core/index.js';
import { type DsseEnvelope, dsseEnvelopeJson, parseDsseEnvelope } from './dsse.js';
import { parseRekorBundle, rekorBundleToTlogEntryJson } from './rekor-bundle.js';

export type { Bundle, SerializedBundle, TransparencyLogEntry };

/**
 * A bundle for a signature over a blob (message signature) or over a DSSE envelope's payload (attestation
 * bundles: `dsse` names the payload type and the payload, and `signature` is over their PAE), identified by
 * a key hint (key-based) or a certificate (keyless).
 */
export function signatureBundle(options: {
  artifact: Uint8Array;
  signature: Uint8Array;
  dssePayloadType?: string;
  keyHint?: string;
  certificate?: Uint8Array;
  tlogEntries?: TransparencyLogEntry[];
  /** DER RFC 3161 timestamp responses over the signature. */
  rfc3161Timestamps?: Uint8Array[];
}): SerializedBundle {
  const material = {
    signature: Buffer.from(options.signature),
    ...(options.keyHint !== undefined ? { keyHint: options.keyHint } : {}),
    ...(options.certificate !== undefined ? { certificate: Buffer.from(options.certificate) } : {}),
  };
  const bundle: Bundle = options.dssePayloadType
    ? toDSSEBundle({
        ...material,
        artifact: Buffer.from(options.artifact),
        artifactType: options.dssePayloadType,
      })
    : toMessageSignatureBundle({ ...material, digest: sha256(options.artifact) });
  // @sigstore/bundle copies the key hint into the DSSE signature's keyid; Go's DSSE verifier (cosign,
  // sigstore-go) skips a signature whose keyid is not its own key id (a hex SHA-256), so such a key-signed
  // bundle verifies with 0 of 1 signatures there. cosign leaves the keyid empty: so do we.
  if (bundle.content.$case === 'dsseEnvelope')
    for (const signature of bundle.content.dsseEnvelope.signatures) signature.keyid = '';
  if (options.tlogEntries) bundle.verificationMaterial.tlogEntries = options.tlogEntries;
  if (options.rfc3161Timestamps) {
    bundle.verificationMaterial.timestampVerificationData = {
      rfc3161Timestamps: options.rfc3161Timestamps.map((der) => ({ signedTimestamp: Buffer.from(der) })),
    };
  }
  return withExplicitLogIndexes(bundleToJSON(bundle));
}

/**
 * Protobuf JSON leaves out zero values, so an entry at log index 0 (a new log's first) would carry no
 * `logIndex` and a tree of one no `hashes`; sigstore-python refuses such a bundle (its model requires
 * both fields). Writing the zeros explicitly is valid protobuf JSON that every reader accepts.
 */
function withExplicitLogIndexes(bundle: SerializedBundle): SerializedBundle {
  for (const entry of bundle.verificationMaterial.tlogEntries ?? []) {
    entry.logIndex ??= '0';
    if (entry.inclusionProof) {
      entry.inclusionProof.logIndex ??= '0';
      entry.inclusionProof.hashes ??= [];
    }
  }
  return bundle;
}

/** Parses and validates a Sigstore bundle; the error names the file and the invalid field. */
export function parseSigstoreBundle(json: unknown, where: string): Bundle {
  try {
    return bundleFromJSON(json);
  } catch (err) {
    const fields = (err as { fields?: string[] }).fields;
    const detail = fields?.length ? ` (${fields.join(', ')})` : '';
    throw new SigilError(
      'BAD_BUNDLE',
      `${where}: not a valid Sigstore bundle: ${(err as Error).message}${detail}`,
    );
  }
}

export interface LegacyBlobBundle {
  base64Signature: string;
  /** base64 of a PEM certificate, or of the signer's PEM public key for key-based signatures. */
  cert?: string;
  rekorBundle?: unknown;
}

export type BlobBundle =
  | { format: 'sigstore'; bundle: Bundle }
  | { format: 'legacy'; bundle: LegacyBlobBundle };

/** Reads either bundle format, telling them apart by the Sigstore bundle's `mediaType`. */
export function parseBlobBundle(text: string | Uint8Array, where: string): BlobBundle {
  const json = parseJson(text, where);
  if (!isRecord(json)) throw new SigilError('BAD_BUNDLE', `${where}: a bundle must be a JSON object`);
  if (typeof json.mediaType === 'string')
    return { format: 'sigstore', bundle: parseSigstoreBundle(json, where) };
  if (typeof json.base64Signature !== 'string') {
    throw new SigilError(
      'BAD_BUNDLE',
      `${where}: neither a Sigstore bundle (no mediaType) nor a cosign bundle (no base64Signature)`,
    );
  }
  fromBase64(json.base64Signature, `${where}: base64Signature`);
  if (json.cert !== undefined && typeof json.cert !== 'string') {
    throw new SigilError('BAD_BUNDLE', `${where}: "cert" must be a base64 string`);
  }
  return {
    format: 'legacy',
    bundle: {
      base64Signature: json.base64Signature,
      ...(typeof json.cert === 'string' ? { cert: json.cert } : {}),
      ...(json.rekorBundle !== undefined ? { rekorBundle: json.rekorBundle } : {}),
    },
  };
}

/** The legacy bundle as cosign marshals it (Go struct order; empty fields omitted). */
export function legacyBlobBundleJson(bundle: LegacyBlobBundle): string {
  return JSON.stringify({
    base64Signature: bundle.base64Signature,
    ...(bundle.cert ? { cert: bundle.cert } : {}),
    ...(bundle.rekorBundle ? { rekorBundle: bundle.rekorBundle } : {}),
  });
}

export const BUNDLE_V01_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle+json;version=0.1';

/**
 * A signature from cosign's OCI layout (payload, signature, certificate chain, log entry) as a v0.1
 * Sigstore bundle, the version whose log entries may carry a SET without an inclusion proof, so that
 * one verifier checks both storage formats the same way.
 */
/** What a signature layer signed: a payload (cosign's simple signing) or a DSSE envelope (attestations). */
export type SignedContent = { payload: Uint8Array; signatureBase64: string } | { envelope: DsseEnvelope };

export function layoutSignatureBundle(
  options: SignedContent & {
    tlogEntries: Record<string, unknown>[];
    /** base64 DER RFC 3161 timestamp responses over the signature. */
    rfc3161Timestamps?: string[];
  } & (
      | {
          /** PEM certificates, leaf first. */
          certificates: string[];
        }
      | {
          /** A key-based signature: the verifier brings the key, the bundle only names it. */
          keyHint: string;
        }
    ),
): Bundle {
  const signer =
    'certificates' in options
      ? {
          x509CertificateChain: {
            certificates: options.certificates.map((pem) => ({
              rawBytes: decodePem(pem, 'certificate', ['CERTIFICATE']).der.toString('base64'),
            })),
          },
        }
      : { publicKey: { hint: options.keyHint } };
  return parseSigstoreBundle(
    {
      mediaType: BUNDLE_V01_MEDIA_TYPE,
      verificationMaterial: {
        ...signer,
        tlogEntries: options.tlogEntries,
        ...(options.rfc3161Timestamps?.length
          ? {
              timestampVerificationData: {
                rfc3161Timestamps: options.rfc3161Timestamps.map((signedTimestamp) => ({ signedTimestamp })),
              },
            }
          : {}),
      },
      ...('envelope' in options
        ? { dsseEnvelope: JSON.parse(dsseEnvelopeJson(options.envelope)) }
        : {
            messageSignature: {
              messageDigest: { algorithm: 'SHA2_256', digest: sha256(options.payload).toString('base64') },
              signature: options.signatureBase64,
            },
          }),
    },
    'signature layer',
  );
}

/**
 * cosign's older forms of a blob attestation as a Sigstore bundle: the DSSE envelope that
 * `attest-blob --output-signature` writes, or cosign v2's legacy `--bundle` holding that envelope as its
 * `base64Signature`, with the signer's `cert` (keyless) and the log's `rekorBundle` (SET and entry).
 */
export function envelopeAttestationBundle(
  envelopeJson: string | Uint8Array,
  where: string,
  legacy: { cert?: string; rekorBundle?: unknown } = {},
): BlobBundle {
  const envelope = parseDsseEnvelope(envelopeJson, where);
  const signer = legacy.cert
    ? { certificates: [fromBase64(legacy.cert, `${where}: cert`).toString('utf8')] }
    : { keyHint: '' };
  const tlogEntries =
    legacy.rekorBundle === undefined
      ? []
      : [
          rekorBundleToTlogEntryJson(
            parseRekorBundle(JSON.stringify(legacy.rekorBundle), `${where}: rekorBundle`),
            `${where}: rekorBundle`,
          ),
        ];
  return { format: 'sigstore', bundle: layoutSignatureBundle({ envelope, tlogEntries, ...signer }) };
}
