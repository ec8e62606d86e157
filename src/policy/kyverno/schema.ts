/**
 * Kyverno `ClusterPolicy` / `Policy` (kyverno.io/v1, also v2beta1) as far as image verification needs it,
 * validated with zod so that a mistake is reported with its path. Fields this engine does not act on
 * (validate, mutate, generate rules; preconditions; context) are accepted and ignored, so the YAML in
 * Kyverno's documentation loads unchanged.
 */
import { z } from 'zod';
import { anyAllConditionsSchema } from '../conditions/index.js';
import { identityFields, labelSelectorSchema } from '../schema.js';

const failureAction = z
  .enum(['Enforce', 'enforce', 'Audit', 'audit'])
  .transform((v) => (v.toLowerCase() === 'enforce' ? 'Enforce' : 'Audit') as 'Enforce' | 'Audit');

const resourceDescription = z.object({
  kinds: z.array(z.string()).optional(),
  names: z.array(z.string()).optional(),
  name: z.string().optional(),
  namespaces: z.array(z.string()).optional(),
  operations: z.array(z.enum(['CREATE', 'UPDATE', 'DELETE', 'CONNECT'])).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  selector: labelSelectorSchema.optional(),
  namespaceSelector: labelSelectorSchema.optional(),
});

const filterBlock = z.object({
  resources: resourceDescription.optional(),
  subjects: z
    .array(z.object({ kind: z.string(), name: z.string(), namespace: z.string().optional() }))
    .optional(),
  roles: z.array(z.string()).optional(),
  clusterRoles: z.array(z.string()).optional(),
});

const resourceFilter = z.object({
  any: z.array(filterBlock).optional(),
  all: z.array(filterBlock).optional(),
  // The older form: one block directly under match/exclude.
  resources: resourceDescription.optional(),
  subjects: filterBlock.shape.subjects,
  roles: filterBlock.shape.roles,
  clusterRoles: filterBlock.shape.clusterRoles,
});

const rekor = z.object({
  url: z.string().optional(),
  pubkey: z.string().optional(),
  ignoreTlog: z.boolean().optional(),
});
const ctlog = z.object({ ignoreSCT: z.boolean().optional(), pubkey: z.string().optional() });

const keysEntry = z.object({
  publicKeys: z.string().optional(),
  kms: z.string().optional(),
  secret: z.object({ name: z.string(), namespace: z.string() }).optional(),
  signatureAlgorithm: z.string().optional(),
  rekor: rekor.optional(),
  ctlog: ctlog.optional(),
});

const keylessEntry = z
  .object({
    ...identityFields,
    roots: z.string().optional(),
    additionalExtensions: z.record(z.string(), z.string()).optional(),
    rekor: rekor.optional(),
    ctlog: ctlog.optional(),
  })
  .refine((k) => k.roots || ((k.subject || k.subjectRegExp) && (k.issuer || k.issuerRegExp)), {
    message: 'needs subject or subjectRegExp, and issuer or issuerRegExp (or roots)',
  });

const certificatesEntry = z.object({
  cert: z.string().optional(),
  certChain: z.string().optional(),
  rekor: rekor.optional(),
  ctlog: ctlog.optional(),
});

export interface KyvernoAttestorSet {
  count?: number | undefined;
  entries?: KyvernoAttestor[] | undefined;
}

export interface KyvernoAttestor {
  keys?: z.infer<typeof keysEntry> | undefined;
  keyless?: z.infer<typeof keylessEntry> | undefined;
  certificates?: z.infer<typeof certificatesEntry> | undefined;
  attestor?: KyvernoAttestorSet | undefined;
  annotations?: Record<string, string> | undefined;
  repository?: string | undefined;
  signatureAlgorithm?: string | undefined;
}

const attestorSet: z.ZodType<KyvernoAttestorSet> = z.lazy(() =>
  z.object({
    count: z.number().int().min(1).optional(),
    entries: z
      .array(
        z
          .object({
            keys: keysEntry.optional(),
            keyless: keylessEntry.optional(),
            certificates: certificatesEntry.optional(),
            attestor: attestorSet.optional(),
            annotations: z.record(z.string(), z.string()).optional(),
            repository: z.string().optional(),
            signatureAlgorithm: z.string().optional(),
          })
          .refine((e) => [e.keys, e.keyless, e.certificates, e.attestor].filter(Boolean).length === 1, {
            message: 'each entry needs exactly one of keys, keyless, certificates, attestor',
          }),
      )
      .min(1),
  }),
);

/** Kyverno's providers; only `default` (the controller's docker config) is implemented here. */
const REGISTRY_PROVIDERS = ['default', 'amazon', 'azure', 'google', 'github'] as const;

const registryCredentials = z.object({
  allowInsecureRegistry: z.boolean().optional(),
  providers: z
    .array(z.enum(REGISTRY_PROVIDERS))
    .optional()
    .superRefine((providers, ctx) => {
      for (const [i, provider] of (providers ?? []).entries()) {
        if (provider === 'default') continue;
        ctx.addIssue({
          code: 'custom',
          path: [i],
          message: `provider ${provider} is not supported (only default, the controller's docker config); give a pull Secret in secrets instead`,
        });
      }
    }),
  secrets: z.array(z.string().min(1)).optional(),
});

const verifyImages = z.object({
  type: z.string().optional(),
  imageReferences: z.array(z.string()).min(1).optional(),
  image: z.string().optional(),
  skipImageReferences: z.array(z.string()).optional(),
  // Deprecated single-attestor fields, which Kyverno converts into an attestor set (ImageVerification.Convert).
  key: z.string().optional(),
  roots: z.string().optional(),
  subject: z.string().optional(),
  issuer: z.string().optional(),
  additionalExtensions: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  failureAction: failureAction.optional(),
  validationFailureAction: failureAction.optional(),
  attestors: z.array(attestorSet).optional(),
  attestations: z
    .array(
      z
        .object({
          type: z.string().optional(),
          predicateType: z.string().optional(),
          attestors: z.array(attestorSet).optional(),
          conditions: z.array(anyAllConditionsSchema).optional(),
        })
        .refine((a) => a.type || a.predicateType, { message: 'needs type (or predicateType)' }),
    )
    .optional(),
  repository: z.string().optional(),
  mutateDigest: z.boolean().optional(),
  verifyDigest: z.boolean().optional(),
  // Kyverno's `required: false` only drops its validation-time check of the verify-images annotation; the
  // verification itself still has to pass (kyverno apply denies an unsigned image either way). sigil
  // verifies at both admission calls, so it reads the field and has nothing to switch off.
  required: z.boolean().optional(),
  useCache: z.boolean().optional(),
  // Deny conditions on the verified image: not implemented, so read to be refused rather than dropped.
  validate: z.unknown().optional(),
  imageRegistryCredentials: registryCredentials.optional(),
});

const rule = z.object({
  name: z.string().min(1).max(63),
  match: resourceFilter,
  exclude: resourceFilter.optional(),
  verifyImages: z.array(verifyImages).optional(),
  // Other rule kinds are read only to say they are not enforced: sigil verifies images.
  validate: z.unknown().optional(),
  mutate: z.unknown().optional(),
  generate: z.unknown().optional(),
});

export const kyvernoPolicySchema = z.object({
  apiVersion: z.enum(['kyverno.io/v1', 'kyverno.io/v2beta1', 'kyverno.io/v2']),
  kind: z.enum(['ClusterPolicy', 'Policy']),
  metadata: z.object({
    name: z.string().min(1),
    namespace: z.string().optional(),
    annotations: z.record(z.string(), z.string()).optional(),
  }),
  spec: z.object({
    validationFailureAction: failureAction.optional(),
    validationFailureActionOverrides: z
      .array(z.object({ action: failureAction, namespaces: z.array(z.string()).optional() }))
      .optional(),
    failurePolicy: z.enum(['Fail', 'Ignore']).optional(),
    webhookTimeoutSeconds: z.number().int().min(1).max(30).optional(),
    background: z.boolean().optional(),
    rules: z.array(rule).min(1),
  }),
});

export type KyvernoPolicy = z.infer<typeof kyvernoPolicySchema>;
export type KyvernoResourceFilter = z.infer<typeof resourceFilter>;
