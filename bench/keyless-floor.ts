/**
 * The raw-crypto floor of a keyless verification: the signature checks a keyless bundle needs, as plain
 * `crypto.verify` calls on keys parsed beforehand. Per bundle: each link of the certificate chain (leaf by
 * its issuer, up to the root's own signature), the SCT, the log's SET and checkpoint, and the artifact
 * signature. Everything else a verifier does (parsing, matching, caches) is above this floor.
 */
import { createHash, createPublicKey, type KeyObject, verify } from 'node:crypto';
import type { Bundle } from '@sigstore/bundle';
import { EXTENSION_OID_SCT, X509Certificate } from '@sigstore/core';
import type { TrustedRoot } from '@sigstore/protobuf-specs';
import { canonicalJson } from '../src/core/index.js';
import { preAuthEncoding } from '../src/formats/index.js';

export interface SignatureCheck {
  what: string;
  algorithm: string | undefined;
  data: Buffer;
  key: KeyObject;
  signature: Buffer;
}

/** The checks of one bundle; each is verified once here, so the floor is made of checks that pass. */
export function signatureChecks(bundle: Bundle, artifact: Uint8Array, root: TrustedRoot): SignatureCheck[] {
  const leaf = X509Certificate.parse(Buffer.from(leafDer(bundle)));
  const authorities = root.certificateAuthorities.flatMap((ca) =>
    ca.certChain?.certificates.map((c) => X509Certificate.parse(Buffer.from(c.rawBytes))),
  );
  const chain = chainChecks(
    leaf,
    authorities.filter((c): c is X509Certificate => c !== undefined),
  );
  const issuer = authorities.find((c) => c?.subject.equals(leaf.issuer));
  if (!issuer) throw new Error('floor: no issuer for the leaf in the trusted root');
  const checks = [
    ...chain,
    ...sctChecks(leaf, issuer, root),
    ...logChecks(bundle, root),
    artifactCheck(bundle, artifact, createPublicKey({ key: leaf.publicKey, format: 'der', type: 'spki' })),
  ];
  for (const check of checks) {
    if (!runCheck(check)) throw new Error(`floor: the ${check.what} check does not verify`);
  }
  return checks;
}

export function runCheck(check: SignatureCheck): boolean {
  return verify(check.algorithm, check.data, check.key, check.signature);
}

function leafDer(bundle: Bundle): Buffer {
  const material = bundle.verificationMaterial.content;
  if (material.$case === 'certificate') return material.certificate.rawBytes;
  if (material.$case === 'x509CertificateChain') {
    const first = material.x509CertificateChain.certificates[0];
    if (first) return first.rawBytes;
  }
  throw new Error('floor: not a keyless bundle');
}

/** Leaf by its issuer, each CA certificate by its issuer, the self-signed root by itself. */
function chainChecks(leaf: X509Certificate, authorities: X509Certificate[]): SignatureCheck[] {
  const checks: SignatureCheck[] = [];
  let cert = leaf;
  for (let depth = 0; depth < 8; depth++) {
    const issuer = authorities.find((c) => c.subject.equals(cert.issuer));
    if (!issuer) throw new Error('floor: the chain does not reach the trusted root');
    checks.push({
      what: `chain link ${depth}`,
      algorithm: cert.signatureAlgorithm,
      data: cert.tbsCertificate.toDER(),
      key: createPublicKey({ key: issuer.publicKey, format: 'der', type: 'spki' }),
      signature: cert.signatureValue,
    });
    if (issuer === cert) return checks;
    cert = issuer;
  }
  throw new Error('floor: chain too long');
}

/** RFC 6962: each SCT signs the pre-certificate (the TBS without the SCT list) and its issuer's key hash. */
function sctChecks(leaf: X509Certificate, issuer: X509Certificate, root: TrustedRoot): SignatureCheck[] {
  const scts = leaf.extSCT?.signedCertificateTimestamps ?? [];
  const precert = leaf.clone();
  const extensions = precert.extensions;
  extensions.splice(
    extensions.findIndex((ext) => ext.subs[0]?.toOID() === EXTENSION_OID_SCT),
    1,
  );
  const tbs = precert.tbsCertificate.toDER();
  const length = Buffer.alloc(3);
  length.writeUIntBE(tbs.length, 0, 3);
  return scts.map((sct) => {
    const log = root.ctlogs.find((l) => l.logId?.keyId.equals(sct.logID));
    if (!log?.publicKey?.rawBytes) throw new Error('floor: SCT from an unknown CT log');
    const extensionsLength = Buffer.alloc(2);
    extensionsLength.writeUInt16BE(sct.extensions.length);
    return {
      what: 'SCT',
      algorithm: sct.algorithm,
      data: Buffer.concat([
        Buffer.from([sct.version, 0]),
        sct.timestamp,
        Buffer.from([0, 1]),
        createHash('sha256').update(issuer.publicKey).digest(),
        length,
        tbs,
        extensionsLength,
        sct.extensions,
      ]),
      key: createPublicKey({ key: log.publicKey.rawBytes, format: 'der', type: 'spki' }),
      signature: sct.signature,
    };
  });
}

/** The SET over the entry, and the checkpoint the inclusion proof ends in, both by the log's key. */
function logChecks(bundle: Bundle, root: TrustedRoot): SignatureCheck[] {
  return bundle.verificationMaterial.tlogEntries.flatMap((entry) => {
    const log = root.tlogs.find((l) => l.logId?.keyId.equals(entry.logId?.keyId ?? Buffer.alloc(0)));
    if (!log?.publicKey?.rawBytes) throw new Error('floor: entry from an unknown log');
    const key = createPublicKey({ key: log.publicKey.rawBytes, format: 'der', type: 'spki' });
    const checks: SignatureCheck[] = [];
    if (entry.inclusionPromise) {
      const payload = {
        body: entry.canonicalizedBody.toString('base64'),
        integratedTime: Number(entry.integratedTime),
        logIndex: Number(entry.logIndex),
        logID: entry.logId?.keyId.toString('hex'),
      };
      checks.push({
        what: 'SET',
        algorithm: undefined,
        data: Buffer.from(canonicalJson(payload)),
        key,
        signature: entry.inclusionPromise.signedEntryTimestamp,
      });
    }
    const envelope = entry.inclusionProof?.checkpoint?.envelope;
    if (envelope) {
      const split = envelope.indexOf('\n\n');
      const line = /\u2014 \S+ (\S+)\n/.exec(envelope.slice(split + 2));
      if (!line?.[1]) throw new Error('floor: unsigned checkpoint');
      checks.push({
        what: 'checkpoint',
        algorithm: undefined,
        data: Buffer.from(envelope.slice(0, split + 1)),
        key,
        signature: Buffer.from(line[1], 'base64').subarray(4),
      });
    }
    return checks;
  });
}

function artifactCheck(bundle: Bundle, artifact: Uint8Array, key: KeyObject): SignatureCheck {
  if (bundle.content.$case === 'dsseEnvelope') {
    const { payloadType, payload, signatures } = bundle.content.dsseEnvelope;
    return {
      what: 'artifact signature',
      algorithm: undefined,
      data: preAuthEncoding(payloadType, payload),
      key,
      signature: signatures[0]?.sig ?? Buffer.alloc(0),
    };
  }
  return {
    what: 'artifact signature',
    algorithm: 'sha256',
    data: Buffer.from(artifact),
    key,
    signature: bundle.content.messageSignature.signature,
  };
}
