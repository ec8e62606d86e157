/**
 * Reads a Sigstore policy-controller `ClusterImagePolicy` into the engine's model, so that the Kyverno
 * policies' evaluation and verification core enforces it. One policy is one rule with one verification:
 * the globs select images, and the authorities are one attestor set of which any one entry must pass (the
 * policy-controller's rule). Every ClusterImagePolicy that matches an image must pass, as every Kyverno
 * policy must. What sigil does not implement becomes an `unsupported` attestor, so the images it governs
 * fail with a reason instead of passing unchecked, and is named in the policy's load warnings.
 */
import { escapeRegExp, messageOf, SigilError } from '../../core/index.js';
import { parseSignatureRepository } from '../../cosign/index.js';
import {
  hashFor,
  isKmsUri,
  loadPublicKeyPem,
  publicKeyPemBlocks,
  requireCertificates,
} from '../../crypto/index.js';
import { predicateTypeFor } from '../../formats/index.js';
import type {
  Attestor,
  AttestorSet,
  ImageVerification,
  LabelSelector,
  Policy,
  ResourceDescription,
  SignatureAttestor,
} from '../model.js';
import { POD_CONTROLLERS } from '../resource.js';
import { invalidAttestorWarnings, parsePolicy } from '../schema.js';
import { type CipAuthority, type ClusterImagePolicy, clusterImagePolicySchema } from './schema.js';

/** The label by which a namespace opts in to the policy-controller's webhooks. */
export const INCLUDE_LABEL = 'policy.sigstore.dev/include';
const INCLUDED: LabelSelector = { matchLabels: { [INCLUDE_LABEL]: 'true' } };

/** The kinds behind the resource names policy-controller's webhooks handle (all carry a pod spec). */
const RESOURCE_KINDS: Readonly<Record<string, string>> = {
  pods: 'Pod',
  cronjobs: 'CronJob',
  ...Object.fromEntries(POD_CONTROLLERS.map((kind) => [`${kind.toLowerCase()}s`, kind])),
};

export function readClusterImagePolicy(document: unknown, where: string): Policy {
  const parsed = parsePolicy(clusterImagePolicySchema, document, where, 'ClusterImagePolicy');
  return toModel(parsed, where);
}

function toModel(cip: ClusterImagePolicy, source: string): Policy {
  const { spec } = cip;
  const warnings: string[] = [];
  // What is not enforced is named here; key material that does not parse, by the shared walk below. Each
  // also fails the images it governs.
  const unsupported = (what: string, at: string): Attestor => {
    warnings.push(`${source}: ${at}: ${what} are not supported (images it governs will fail)`);
    return { kind: 'unsupported', what: `${what} (${at})` };
  };
  const invalid = (err: unknown): Attestor => ({ kind: 'invalid', reason: messageOf(err) });
  const authorities: AttestorSet = {
    count: 1,
    entries: spec.authorities.map((a, i) =>
      authority(a, `spec.authorities.${i}`, { source, unsupported, invalid }),
    ),
  };
  const verification: ImageVerification = {
    type: 'Cosign',
    imageReferences: spec.images.map((i) => i.glob),
    skipImageReferences: [],
    patternSyntax: 'glob',
    attestors: [
      authorities,
      // A policy over the authorities' results (CUE or Rego) would have to pass too: it cannot be dropped.
      ...(spec.policy ? [{ entries: [unsupported(`${spec.policy.type} policies`, 'spec.policy')] }] : []),
    ],
    attestations: [],
    // The policy-controller resolves tags to digests when admitting and checks digests afterwards.
    mutateDigest: true,
    verifyDigest: true,
    useCache: true,
  };
  const match = matchBlocks(cip, source, warnings);
  const policy: Policy = {
    name: cip.metadata.name,
    origin: 'ClusterImagePolicy',
    failureAction: spec.mode === 'warn' ? 'Audit' : 'Enforce',
    failureActionOverrides: [],
    failurePolicy: 'Fail',
    background: true,
    autogenControllers: [],
    rules: [{ name: 'authorities', match: { any: match }, verifyImages: [verification] }],
    source,
    warnings,
  };
  warnings.push(...invalidAttestorWarnings(policy));
  return policy;
}

/**
 * The requests the policy applies to: the resources of spec.match (all pod-spec resources by default), in
 * namespaces labelled `policy.sigstore.dev/include: "true"`, which the webhook configuration selects.
 */
function matchBlocks(cip: ClusterImagePolicy, source: string, warnings: string[]): ResourceDescription[] {
  if (!cip.spec.match?.length) {
    return [{ kinds: Object.values(RESOURCE_KINDS), namespaceSelector: INCLUDED }];
  }
  return cip.spec.match.flatMap((m, i) => {
    const kind = RESOURCE_KINDS[m.resource];
    if (!kind) {
      warnings.push(
        `${source}: spec.match.${i}: resource ${m.resource} carries no pod spec sigil reads images from; it matches nothing`,
      );
      return [];
    }
    return [
      {
        kinds: [`${m.group ?? ''}/${m.version}/${kind}`],
        ...(m.selector ? { selector: m.selector } : {}),
        namespaceSelector: INCLUDED,
      },
    ];
  });
}

interface Reader {
  source: string;
  unsupported: (what: string, at: string) => Attestor;
  invalid: (err: unknown) => Attestor;
}

function authority(a: CipAuthority, at: string, reader: Reader): Attestor {
  if (a.static) {
    return {
      kind: 'static',
      pass: a.static.action === 'pass',
      ...(a.static.message ? { message: a.static.message } : {}),
    };
  }
  const refused = unsupportedFields(a, at, reader);
  if (refused) return refused;
  const signer = signerOf(a, at, reader);
  if (!a.attestations?.length) return signer;
  const withPolicy = a.attestations.findIndex((att) => att.policy !== undefined);
  if (withPolicy >= 0) {
    const type = a.attestations[withPolicy]?.policy?.type ?? '';
    return reader.unsupported(`attestation ${type} policies`, `${at}.attestations.${withPolicy}.policy`);
  }
  try {
    const predicateTypes = a.attestations.map((att) => predicateTypeFor(att.predicateType));
    return { kind: 'attested', predicateTypes, by: signer };
  } catch (err) {
    throw new SigilError('BAD_INPUT', `${reader.source}: ${at}.attestations: ${messageOf(err)}`);
  }
}

/** The first field of the authority that sigil does not implement, as an unsupported attestor. */
function unsupportedFields(a: CipAuthority, at: string, reader: Reader): Attestor | undefined {
  const source = a.source?.[0];
  const refused: [unknown, string, string][] = [
    [
      a.key?.secretRef,
      'keys in secretRef Secrets (use kms: k8s://<namespace>/<name>)',
      `${at}.key.secretRef`,
    ],
    [a.keyless?.trustRootRef, 'TrustRoot references', `${at}.keyless.trustRootRef`],
    [
      a.keyless?.['ca-cert']?.kms ?? a.keyless?.['ca-cert']?.secretRef,
      'ca-cert other than data',
      `${at}.keyless.ca-cert`,
    ],
    [a.ctlog?.trustRootRef, 'TrustRoot references', `${at}.ctlog.trustRootRef`],
    [a.rfc3161timestamp, 'RFC 3161 timestamp authorities', `${at}.rfc3161timestamp`],
    [a.signatureFormat, `signature formats (${a.signatureFormat})`, `${at}.signatureFormat`],
    [source?.signaturePullSecrets, 'signature pull Secrets', `${at}.source.0.signaturePullSecrets`],
    [source?.tagPrefix, 'signature tag prefixes', `${at}.source.0.tagPrefix`],
  ];
  const first = refused.find(([value]) => value !== undefined && value !== '');
  return first ? reader.unsupported(first[1], first[2]) : undefined;
}

/** The key or keyless attestor of the authority; several keys or identities: any one passes. */
function signerOf(a: CipAuthority, at: string, reader: Reader): Attestor {
  const oci = a.source?.[0]?.oci;
  let common: SignatureAttestor;
  try {
    common = {
      // Without ctlog, a key authority has no log to check; keyless ones check the trusted root's logs.
      tlog: { ...(a.ctlog?.url ? { url: a.ctlog.url } : {}), ignore: a.key !== undefined && !a.ctlog },
      ctlog: { ignoreSct: a.keyless?.insecureIgnoreSCT ?? false },
      ...(oci ? { repository: parseSignatureRepository(oci, 'the source') } : {}),
    };
  } catch (err) {
    throw new SigilError('BAD_INPUT', `${reader.source}: ${at}.source.0.oci: ${messageOf(err)}`);
  }
  const anyOf = (entries: Attestor[]): Attestor =>
    entries.length === 1 && entries[0] ? entries[0] : { kind: 'nested', set: { count: 1, entries } };
  if (a.key) {
    const hashAlgorithm = a.key.hashAlgorithm;
    const signatureAlgorithm = hashAlgorithm ? { signatureAlgorithm: hashAlgorithm } : {};
    // sigil verifies with the hash that goes with the key (SHA-256 for P-256 and RSA): another one is refused.
    const otherHash = (hash: string | null) =>
      hashAlgorithm && hash && hashAlgorithm !== hash
        ? reader.unsupported(
            `hashAlgorithm ${hashAlgorithm} for this key (sigil verifies it with ${hash})`,
            `${at}.key.hashAlgorithm`,
          )
        : undefined;
    const kms = a.key.kms?.trim();
    if (kms?.startsWith('k8s://')) {
      return otherHash('sha256') ?? { kind: 'secretKey', ref: kms, ...signatureAlgorithm, ...common };
    }
    if (kms && isKmsUri(kms)) {
      return otherHash('sha256') ?? { kind: 'kmsKey', ref: kms, ...signatureAlgorithm, ...common };
    }
    if (kms) return reader.unsupported(`KMS keys (${kms})`, `${at}.key.kms`);
    const where = `${reader.source}: ${at}.key.data`;
    const pems = publicKeyPemBlocks(a.key.data ?? '');
    if (pems.length === 0)
      return reader.invalid(new SigilError('BAD_PEM', `${where}: no PUBLIC KEY block found`));
    return anyOf(
      pems.map((publicKey) => {
        let hash: string | null;
        try {
          hash = hashFor(loadPublicKeyPem(publicKey, where));
        } catch (err) {
          return reader.invalid(err);
        }
        return otherHash(hash) ?? { kind: 'key', publicKey, ...signatureAlgorithm, ...common };
      }),
    );
  }
  const keyless = a.keyless;
  if (!keyless) throw new SigilError('BAD_INPUT', `${reader.source}: ${at}: needs key, keyless or static`);
  const roots = keyless['ca-cert']?.data;
  if (roots !== undefined) {
    const where = `${reader.source}: ${at}.keyless.ca-cert.data`;
    try {
      requireCertificates(roots, where);
    } catch (err) {
      return reader.invalid(err);
    }
  }
  return anyOf(
    keyless.identities.map((id) => ({
      kind: 'keyless',
      // cosign compares subject and issuer exactly and searches their regular expressions, unanchored.
      subjectRegExp: id.subjectRegExp ?? `^${escapeRegExp(id.subject ?? '')}$`,
      ...(id.issuer !== undefined ? { issuer: id.issuer } : {}),
      ...(id.issuerRegExp !== undefined ? { issuerRegExp: id.issuerRegExp } : {}),
      ...(roots !== undefined ? { roots } : {}),
      additionalExtensions: {},
      ...common,
    })),
  );
}
