/**
 * Kyverno's `ImageValidatingPolicy` and `NamespacedImageValidatingPolicy` (policies.kyverno.io v1alpha1,
 * v1beta1, v1: one schema) validated with zod, so that a mistake is reported with its path. Unknown fields
 * are kept out of the way (zod strips them) and the reader warns about the ones it knows but cannot honour.
 */
import { z } from 'zod';
import { identityFields, labelSelectorSchema } from '../schema.js';

const stringOrExpression = z.object({ value: z.string().optional(), expression: z.string().optional() });

const ctlog = z.object({
  url: z.string().optional(),
  rekorPubKey: z.string().optional(),
  ctLogPubKey: z.string().optional(),
  tsaCertChain: z.string().optional(),
  insecureIgnoreTlog: z.boolean().optional(),
  insecureIgnoreSCT: z.boolean().optional(),
});

const cosign = z.object({
  key: z
    .object({
      data: z.string().optional(),
      kms: z.string().optional(),
      hashAlgorithm: z.string().optional(),
      expression: z.string().optional(),
    })
    .optional(),
  keyless: z
    .object({ identities: z.array(z.object(identityFields)).optional(), roots: z.string().optional() })
    .optional(),
  certificate: z
    .object({ cert: stringOrExpression.optional(), certChain: stringOrExpression.optional() })
    .optional(),
  source: z
    .object({
      repository: z.string().optional(),
      tagPrefix: z.string().optional(),
      PullSecrets: z.array(z.unknown()).optional(),
    })
    .optional(),
  ctlog: ctlog.optional(),
  tuf: z.object({}).passthrough().optional(),
  trustedRoot: stringOrExpression.optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});

export const attestorSchema = z.object({
  name: z.string().min(1),
  cosign: cosign.optional(),
  notary: z
    .object({ certs: stringOrExpression.optional(), tsaCerts: stringOrExpression.optional() })
    .optional(),
});

const namedRule = z.object({
  resourceNames: z.array(z.string()).optional(),
  operations: z.array(z.string()).optional(),
  apiGroups: z.array(z.string()).optional(),
  apiVersions: z.array(z.string()).optional(),
  resources: z.array(z.string()).optional(),
  scope: z.string().optional(),
});

const validationAction = z.enum(['Deny', 'Audit', 'Warn']);

export const imageValidatingPolicySchema = z.object({
  apiVersion: z.string().regex(/^policies\.kyverno\.io\/v(1|1alpha1|1beta1)$/, 'unsupported apiVersion'),
  kind: z.enum(['ImageValidatingPolicy', 'NamespacedImageValidatingPolicy']),
  metadata: z.object({
    name: z.string().min(1),
    namespace: z.string().optional(),
    annotations: z.record(z.string(), z.string()).optional(),
  }),
  spec: z.object({
    matchConstraints: z
      .object({
        resourceRules: z.array(namedRule).optional(),
        excludeResourceRules: z.array(namedRule).optional(),
        namespaceSelector: labelSelectorSchema.optional(),
        objectSelector: labelSelectorSchema.optional(),
        matchPolicy: z.enum(['Exact', 'Equivalent']).optional(),
      })
      .optional(),
    failurePolicy: z.enum(['Fail', 'Ignore']).optional(),
    validationActions: z.array(validationAction).optional(),
    matchConditions: z.array(z.object({ name: z.string(), expression: z.string() })).optional(),
    variables: z.array(z.object({ name: z.string(), expression: z.string() })).optional(),
    validationConfigurations: z
      .object({
        mutateDigest: z.boolean().optional(),
        verifyDigest: z.boolean().optional(),
        required: z.boolean().optional(),
      })
      .optional(),
    matchImageReferences: z
      .array(z.object({ glob: z.string().optional(), expression: z.string().optional() }))
      .optional(),
    credentials: z
      .object({
        allowInsecureRegistry: z.boolean().optional(),
        providers: z.array(z.string()).optional(),
        secrets: z.array(z.string()).optional(),
      })
      .optional(),
    images: z.array(z.object({ name: z.string(), expression: z.string() })).optional(),
    attestors: z.array(attestorSchema).optional(),
    attestations: z
      .array(
        z.object({
          name: z.string(),
          intoto: z.object({ type: z.string() }).optional(),
          referrer: z.object({ type: z.string() }).optional(),
        }),
      )
      .optional(),
    validations: z
      .array(
        z.object({
          expression: z.string(),
          message: z.string().optional(),
          messageExpression: z.string().optional(),
          reason: z.string().optional(),
        }),
      )
      .optional(),
    auditAnnotations: z.array(z.object({ key: z.string(), valueExpression: z.string() })).optional(),
    webhookConfiguration: z.object({ timeoutSeconds: z.number().int().optional() }).passthrough().optional(),
    evaluation: z
      .object({
        mode: z.enum(['Kubernetes', 'JSON']).optional(),
        background: z.object({ enabled: z.boolean().optional() }).optional(),
        admission: z.object({ enabled: z.boolean().optional() }).optional(),
      })
      .passthrough()
      .optional(),
    autogen: z
      .object({ podControllers: z.object({ controllers: z.array(z.string()).optional() }).optional() })
      .optional(),
  }),
});

export type ImageValidatingPolicyDocument = z.infer<typeof imageValidatingPolicySchema>;
export type IvpolAttestor = z.infer<typeof attestorSchema>;
