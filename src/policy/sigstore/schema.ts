/**
 * The Sigstore policy-controller's `ClusterImagePolicy` (policy.sigstore.dev v1alpha1 and v1beta1), with the
 * checks its admission validation makes (clusterimagepolicy_validation.go): one of key, keyless or static
 * per authority, static alone, one source, issuer and subject given once each. Fields sigil does not
 * enforce are still read, so that the reader can fail the images they govern instead of dropping them.
 */
import { z } from 'zod';
import { GLOB_CHARACTERS } from '../image-patterns.js';
import { identityFields, labelSelectorSchema } from '../schema.js';

const oneOf = (fields: string[]) => (value: Record<string, unknown>) =>
  fields.filter((f) => value[f] !== undefined && value[f] !== '').length === 1;

const keyRef = z
  .object({
    data: z.string().optional(),
    kms: z.string().optional(),
    secretRef: z.object({ name: z.string(), namespace: z.string().optional() }).optional(),
    hashAlgorithm: z.enum(['sha224', 'sha256', 'sha384', 'sha512']).optional(),
  })
  .refine(oneOf(['data', 'kms', 'secretRef']), { message: 'needs exactly one of data, kms, secretRef' });

const identity = z
  .object(identityFields)
  .refine(oneOf(['issuer', 'issuerRegExp']), { message: 'needs exactly one of issuer, issuerRegExp' })
  .refine(oneOf(['subject', 'subjectRegExp']), { message: 'needs exactly one of subject, subjectRegExp' });

const keyless = z.object({
  url: z.string().optional(),
  identities: z.array(identity).min(1),
  'ca-cert': keyRef.optional(),
  trustRootRef: z.string().optional(),
  insecureIgnoreSCT: z.boolean().optional(),
});

const policyBlock = z.object({ type: z.string() }).passthrough();

const authority = z
  .object({
    name: z.string().optional(),
    key: keyRef.optional(),
    keyless: keyless.optional(),
    static: z.object({ action: z.enum(['pass', 'fail']), message: z.string().optional() }).optional(),
    source: z
      .array(
        z.object({
          oci: z.string().optional(),
          signaturePullSecrets: z.array(z.object({ name: z.string() })).optional(),
          tagPrefix: z.string().optional(),
        }),
      )
      .max(1, { message: 'only a single source is supported' })
      .optional(),
    ctlog: z.object({ url: z.string().optional(), trustRootRef: z.string().optional() }).optional(),
    attestations: z
      .array(
        z.object({
          name: z.string().min(1),
          predicateType: z.string().min(1),
          policy: policyBlock.optional(),
        }),
      )
      .optional(),
    rfc3161timestamp: z.object({ trustRootRef: z.string().optional() }).optional(),
    signatureFormat: z.string().optional(),
  })
  .refine(oneOf(['key', 'keyless', 'static']), { message: 'needs exactly one of key, keyless, static' })
  .refine(
    (a) => !a.static || [a.attestations, a.source, a.ctlog, a.rfc3161timestamp].every((f) => f === undefined),
    { message: 'static cannot be combined with attestations, source, ctlog or rfc3161timestamp' },
  );

export const clusterImagePolicySchema = z.object({
  apiVersion: z.enum(['policy.sigstore.dev/v1alpha1', 'policy.sigstore.dev/v1beta1']),
  kind: z.literal('ClusterImagePolicy'),
  metadata: z.object({ name: z.string().min(1) }),
  spec: z.object({
    images: z
      .array(z.object({ glob: z.string().regex(GLOB_CHARACTERS, { message: 'invalid glob' }) }))
      .min(1),
    authorities: z.array(authority).min(1),
    policy: policyBlock.optional(),
    mode: z.enum(['enforce', 'warn']).optional(),
    match: z
      .array(
        z.object({
          group: z.string().optional(),
          version: z.string().min(1),
          resource: z.string().min(1),
          selector: labelSelectorSchema.optional(),
        }),
      )
      .optional(),
  }),
});

export type ClusterImagePolicy = z.infer<typeof clusterImagePolicySchema>;
export type CipAuthority = ClusterImagePolicy['spec']['authorities'][number];
