/**
 * Reads one Kyverno policy document into the engine's model (load.ts finds the documents). Errors name the
 * file, the document and the field: `policies/p.yaml: document 2: spec.rules.0.verifyImages.0.attestors.0.entries: ...`.
 */
import { messageOf, SigilError } from '../../core/index.js';
import { parseSignatureRepository } from '../../cosign/index.js';
import { isKmsUri, loadPublicKeyPem, publicKeyPemBlocks, requireCertificates } from '../../crypto/index.js';
import type { Repository } from '../../oci/index.js';
import type {
  Attestor,
  AttestorSet,
  CtlogSettings,
  FailureAction,
  Policy,
  ResourceDescription,
  ResourceFilter,
  TlogSettings,
} from '../model.js';
import { POD_CONTROLLERS } from '../resource.js';
import { invalidAttestorWarnings, parsePolicy } from '../schema.js';
import {
  type KyvernoAttestor,
  type KyvernoAttestorSet,
  type KyvernoPolicy,
  type KyvernoResourceFilter,
  kyvernoPolicySchema,
} from './schema.js';

const AUTOGEN_ANNOTATION = 'pod-policies.kyverno.io/autogen-controllers';
/** Kyverno's default autogen targets: every pod controller. */
const DEFAULT_CONTROLLERS = [...POD_CONTROLLERS, 'CronJob'];

export function readKyvernoPolicy(document: unknown, where: string): Policy {
  const parsed = parsePolicy(kyvernoPolicySchema, document, where, 'policy');
  refuseAuditDigestMutation(parsed, where);
  const policy = toModel(parsed, where);
  policy.warnings.push(...invalidAttestorWarnings(policy));
  return policy;
}

/**
 * Kyverno refuses a verifyImages entry that would rewrite images (mutateDigest, true by default) under an
 * Audit failure action: auditing must not change what it audits. The entry's failureAction decides, else
 * the policy's validationFailureAction; anything but Enforce is Audit, an absent action included.
 */
function refuseAuditDigestMutation(policy: KyvernoPolicy, where: string): void {
  const enforce = (action: string | undefined) => action === 'Enforce' || action === 'enforce';
  policy.spec.rules.forEach((rule, r) => {
    (rule.verifyImages ?? []).forEach((v, i) => {
      const audit = !enforce(v.failureAction ?? policy.spec.validationFailureAction);
      if (audit && (v.mutateDigest ?? true)) {
        throw new SigilError(
          'BAD_INPUT',
          `${where}: spec.rules[${r}].verifyImages[${i}].mutateDigest: Invalid value: true: mutateDigest must be set to false for 'Audit' failure action`,
        );
      }
    });
  });
}

function toModel(policy: KyvernoPolicy, source: string): Policy {
  const { spec, metadata } = policy;
  const annotations = metadata.annotations ?? {};
  const controllers = annotations[AUTOGEN_ANNOTATION];
  const policyAction: FailureAction = spec.validationFailureAction ?? 'Audit';
  return {
    name: metadata.name,
    ...(policy.kind === 'Policy' ? { namespace: metadata.namespace ?? 'default' } : {}),
    failureAction: policyAction,
    failureActionOverrides: (spec.validationFailureActionOverrides ?? []).map((o) => ({
      action: o.action,
      namespaces: o.namespaces ?? [],
    })),
    failurePolicy: spec.failurePolicy ?? 'Fail',
    ...(spec.webhookTimeoutSeconds ? { webhookTimeoutSeconds: spec.webhookTimeoutSeconds } : {}),
    background: spec.background ?? true,
    ...(annotations['policies.kyverno.io/severity']
      ? { severity: annotations['policies.kyverno.io/severity'] }
      : {}),
    ...(annotations['policies.kyverno.io/category']
      ? { category: annotations['policies.kyverno.io/category'] }
      : {}),
    autogenControllers:
      controllers === undefined
        ? DEFAULT_CONTROLLERS
        : controllers === 'none'
          ? []
          : controllers.split(',').map((c) => c.trim()),
    rules: spec.rules.map((rule, r) => ({
      name: rule.name,
      match: filter(rule.match),
      ...(rule.exclude ? { exclude: filter(rule.exclude) } : {}),
      verifyImages: (rule.verifyImages ?? []).map((v, i) => {
        const credentials = v.imageRegistryCredentials;
        const action = v.failureAction ?? v.validationFailureAction;
        const at = `${source}: spec.rules.${r}.verifyImages.${i}`;
        const legacy = legacyAttestorSet(v, at);
        return {
          type: v.type ?? 'Cosign',
          imageReferences: v.imageReferences ?? (v.image ? [v.image] : ['*']),
          skipImageReferences: v.skipImageReferences ?? [],
          ...(action ? { failureAction: action } : {}),
          // Kyverno's conversion: the deprecated attestor goes to the attestations when there are any.
          attestors: [
            ...(v.attestors ?? []).map((set, j) => attestorSet(set, `${at}.attestors.${j}`)),
            ...(legacy && !v.attestations?.length ? [legacy] : []),
            ...(v.validate === undefined ? [] : [UNSUPPORTED_VALIDATE]),
          ],
          attestations: (v.attestations ?? []).map((a, k) => ({
            predicateType: a.predicateType ?? a.type ?? '',
            attestors: withDefaultAttestor([
              ...(a.attestors ?? []).map((set, j) =>
                attestorSet(set, `${at}.attestations.${k}.attestors.${j}`),
              ),
              ...(legacy ? [legacy] : []),
            ]),
            conditions: a.conditions ?? [],
          })),
          ...(v.repository
            ? {
                repository: repository(
                  v.repository,
                  `${source}: spec.rules.${r}.verifyImages.${i}.repository`,
                ),
              }
            : {}),
          ...(credentials
            ? {
                registryCredentials: {
                  allowInsecureRegistry: credentials.allowInsecureRegistry ?? false,
                  providers: (credentials.providers ?? []).filter((p): p is 'default' => p === 'default'),
                  secrets: credentials.secrets ?? [],
                },
              }
            : {}),
          mutateDigest: v.mutateDigest ?? true,
          verifyDigest: v.verifyDigest ?? true,
          useCache: v.useCache ?? true,
        };
      }),
    })),
    source,
    warnings: spec.rules.flatMap((rule) => {
      const kinds = (['validate', 'mutate', 'generate'] as const).filter((k) => rule[k] !== undefined);
      return kinds.length > 0
        ? [
            `${source}: rule ${rule.name}: ${kinds.join(', ')} is not enforced (sigil enforces verifyImages only)`,
          ]
        : [];
    }),
  };
}

function repository(value: string, where: string): Repository {
  try {
    return parseSignatureRepository(value, 'the repository');
  } catch (err) {
    throw new SigilError('BAD_INPUT', `${where}: ${messageOf(err)}`);
  }
}

function filter(f: KyvernoResourceFilter): ResourceFilter {
  const block = (b: {
    resources?: ResourceDescription & { name?: string };
    subjects?: ResourceDescription['subjects'];
    roles?: string[];
    clusterRoles?: string[];
  }): ResourceDescription => {
    const { name, ...resources } = b.resources ?? {};
    return {
      ...resources,
      ...(name ? { names: [...(resources.names ?? []), name] } : {}),
      ...(b.subjects ? { subjects: b.subjects } : {}),
      ...(b.roles ? { roles: b.roles } : {}),
      ...(b.clusterRoles ? { clusterRoles: b.clusterRoles } : {}),
    };
  };
  if (f.any || f.all) {
    return { ...(f.any ? { any: f.any.map(block) } : {}), ...(f.all ? { all: f.all.map(block) } : {}) };
  }
  return { all: [block(f)] };
}

/** `at` is where the set is in the policy file, for errors about its key material. */
function attestorSet(set: KyvernoAttestorSet, at: string): AttestorSet {
  return {
    ...(set.count ? { count: set.count } : {}),
    entries: (set.entries ?? []).flatMap((entry, j) => attestor(entry, `${at}.entries.${j}`)),
  };
}

const tlog = (r?: {
  url?: string | undefined;
  pubkey?: string | undefined;
  ignoreTlog?: boolean | undefined;
}): TlogSettings => ({
  ...(r?.url ? { url: r.url } : {}),
  ...(r?.pubkey ? { publicKey: r.pubkey } : {}),
  ignore: r?.ignoreTlog ?? false,
});
const ctlog = (c?: { ignoreSCT?: boolean | undefined; pubkey?: string | undefined }): CtlogSettings => ({
  ignoreSct: c?.ignoreSCT ?? false,
  ...(c?.pubkey ? { publicKey: c.pubkey } : {}),
});

/**
 * Kyverno checks attestations that name no attestor with an empty one: keyless, under the default
 * roots, whoever signed. Here the default roots are the webhook's trusted root. Without this, such
 * attestations would need no signature at all.
 */
function withDefaultAttestor(sets: AttestorSet[]): AttestorSet[] {
  if (sets.length > 0) return sets;
  return [
    {
      entries: [
        { kind: 'keyless', additionalExtensions: {}, tlog: { ignore: false }, ctlog: { ignoreSct: false } },
      ],
    },
  ];
}

/** verifyImages `validate` (deny conditions) is not implemented: an image under it fails, naming why. */
const UNSUPPORTED_VALIDATE: AttestorSet = {
  entries: [{ kind: 'unsupported', what: 'verifyImages validate blocks (deny conditions)' }],
};

/**
 * The attestor set of a verifyImages entry written the deprecated way (`key`, or `issuer` with `subject`
 * and `roots`, and `annotations`), as Kyverno's ImageVerification.Convert builds it.
 */
function legacyAttestorSet(
  v: {
    key?: string | undefined;
    issuer?: string | undefined;
    subject?: string | undefined;
    roots?: string | undefined;
    annotations?: Record<string, string> | undefined;
  },
  at: string,
): AttestorSet | undefined {
  if (!v.key && !v.issuer && !v.annotations) return undefined;
  const annotations = v.annotations ? { annotations: v.annotations } : {};
  if (v.key) return { entries: attestor({ keys: { publicKeys: v.key }, ...annotations }, `${at}.key`) };
  if (v.issuer) {
    const keyless = {
      issuer: v.issuer,
      ...(v.subject ? { subject: v.subject } : {}),
      ...(v.roots ? { roots: v.roots } : {}),
    };
    return { entries: attestor({ keyless, ...annotations }, `${at}.roots`) };
  }
  return { entries: [{ kind: 'unsupported', what: 'verifyImages annotations without a key or an issuer' }] };
}

/**
 * One Kyverno entry as attestors; several PEM keys in one `publicKeys` are separate entries (Kyverno).
 * Their keys and certificates are parsed now, so a broken PEM is named by its place in the policy file.
 */
function attestor(entry: KyvernoAttestor, at: string): Attestor[] {
  return attestorsOf(entry, at).map((a) => {
    try {
      checkKeyMaterial(a, at);
      return a;
    } catch (err) {
      // The policy still loads (the seeds' guides ship placeholder keys); what it verifies through this fails.
      return { kind: 'invalid', reason: messageOf(err) };
    }
  });
}

function attestorsOf(entry: KyvernoAttestor, at: string): Attestor[] {
  const common = {
    ...(entry.annotations ? { annotations: entry.annotations } : {}),
    ...(entry.repository ? { repository: repository(entry.repository, `${at}.repository`) } : {}),
  };
  if (entry.keys) {
    const k = entry.keys;
    const signatureAlgorithm = k.signatureAlgorithm ?? entry.signatureAlgorithm;
    // Kyverno hands cosign `k8s://<namespace>/<name>` for publicKeys, secret and kms alike.
    const secretRef = k.secret
      ? `k8s://${k.secret.namespace}/${k.secret.name}`
      : [k.publicKeys, k.kms].find((ref) => ref?.trim().startsWith('k8s://'))?.trim();
    if (secretRef) {
      return [
        {
          kind: 'secretKey' as const,
          ref: secretRef,
          ...(signatureAlgorithm ? { signatureAlgorithm } : {}),
          tlog: tlog(k.rekor),
          ctlog: ctlog(k.ctlog),
          ...common,
        },
      ];
    }
    const kms = k.kms?.trim();
    if (kms && isKmsUri(kms)) {
      return [
        {
          kind: 'kmsKey' as const,
          ref: kms,
          ...(signatureAlgorithm ? { signatureAlgorithm } : {}),
          tlog: tlog(k.rekor),
          ctlog: ctlog(k.ctlog),
          ...common,
        },
      ];
    }
    if (kms) return [{ kind: 'unsupported', what: `KMS keys (${kms})` }];
    const pems = publicKeyPemBlocks(k.publicKeys ?? '');
    if (pems.length === 0) return [{ kind: 'unsupported', what: 'keys without PEM publicKeys' }];
    return pems.map((publicKey) => ({
      kind: 'key' as const,
      publicKey,
      ...(signatureAlgorithm ? { signatureAlgorithm } : {}),
      tlog: tlog(k.rekor),
      ctlog: ctlog(k.ctlog),
      ...common,
    }));
  }
  if (entry.keyless) {
    const k = entry.keyless;
    return [
      {
        kind: 'keyless',
        ...(k.subject ? { subject: k.subject } : {}),
        ...(k.subjectRegExp ? { subjectRegExp: k.subjectRegExp } : {}),
        ...(k.issuer ? { issuer: k.issuer } : {}),
        ...(k.issuerRegExp ? { issuerRegExp: k.issuerRegExp } : {}),
        ...(k.roots ? { roots: k.roots } : {}),
        additionalExtensions: k.additionalExtensions ?? {},
        tlog: tlog(k.rekor),
        ctlog: ctlog(k.ctlog),
        ...common,
      },
    ];
  }
  if (entry.certificates) {
    const c = entry.certificates;
    return [
      {
        kind: 'certificate',
        ...(c.cert ? { cert: c.cert } : {}),
        ...(c.certChain ? { certChain: c.certChain } : {}),
        tlog: tlog(c.rekor),
        ctlog: ctlog(c.ctlog),
        ...common,
      },
    ];
  }
  return [{ kind: 'nested', set: attestorSet(entry.attestor ?? {}, `${at}.attestor`) }];
}

/** Parses what an attestor will verify with; a key or certificate that does not parse names its place. */
function checkKeyMaterial(attestor: Attestor, at: string): void {
  // Only attestors that verify signatures carry key material (the Kyverno reader makes no static or attested ones).
  if (!('tlog' in attestor)) return;
  const kind =
    attestor.kind === 'certificate' ? 'certificates' : attestor.kind === 'keyless' ? 'keyless' : 'keys';
  const certificates = (pem: string | undefined, field: string) => {
    if (pem !== undefined) requireCertificates(pem, `${at}.${kind}.${field}`);
  };
  if (attestor.kind === 'key') loadPublicKeyPem(attestor.publicKey, `${at}.keys.publicKeys`);
  if (attestor.kind === 'keyless') certificates(attestor.roots, 'roots');
  if (attestor.kind === 'certificate') {
    certificates(attestor.cert, 'cert');
    certificates(attestor.certChain, 'certChain');
  }
  if (attestor.tlog.publicKey) loadPublicKeyPem(attestor.tlog.publicKey, `${at}.${kind}.rekor.pubkey`);
  if (attestor.ctlog.publicKey) loadPublicKeyPem(attestor.ctlog.publicKey, `${at}.${kind}.ctlog.pubkey`);
}
