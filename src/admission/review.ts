/**
 * AdmissionReview admission.k8s.io/v1: parsing what the API server sends and building what it expects
 * back. Parsing fails closed with one line naming the bad field, so the HTTP layer can answer 400.
 */
import { z } from 'zod';
import { SigilError } from '../core/index.js';
import type { PolicyResult } from '../policy/index.js';

const groupVersionKind = z.object({ group: z.string(), version: z.string(), kind: z.string() });
const groupVersionResource = z.object({ group: z.string(), version: z.string(), resource: z.string() });

const admissionRequestSchema = z.object({
  uid: z.string().min(1),
  kind: groupVersionKind,
  resource: groupVersionResource,
  subResource: z.string().optional(),
  requestKind: groupVersionKind.optional(),
  requestResource: groupVersionResource.optional(),
  requestSubResource: z.string().optional(),
  name: z.string().optional(),
  namespace: z.string().optional(),
  operation: z.enum(['CREATE', 'UPDATE', 'DELETE', 'CONNECT']),
  userInfo: z.object({
    username: z.string().optional(),
    uid: z.string().optional(),
    groups: z.array(z.string()).optional(),
    extra: z.record(z.string(), z.array(z.string())).optional(),
  }),
  object: z.record(z.string(), z.unknown()).nullable().optional(),
  oldObject: z.record(z.string(), z.unknown()).nullable().optional(),
  dryRun: z.boolean().optional(),
  options: z.record(z.string(), z.unknown()).nullable().optional(),
});

const admissionReviewSchema = z.object({
  apiVersion: z.literal('admission.k8s.io/v1'),
  kind: z.literal('AdmissionReview'),
  request: admissionRequestSchema,
});

export type AdmissionRequestV1 = z.infer<typeof admissionRequestSchema>;

export interface JsonPatchOperation {
  op: 'add' | 'replace' | 'remove' | 'test' | 'move' | 'copy';
  path: string;
  value?: unknown;
}

/** What a decision maker returns; the HTTP layer turns it into an AdmissionResponse. */
export interface AdmissionDecision {
  allowed: boolean;
  message?: string;
  patch?: JsonPatchOperation[];
  warnings: string[];
  auditAnnotations?: Record<string, string>;
  /** The policy engine's per-rule results behind the decision (for the decision log; not sent back). */
  results?: PolicyResult[];
}

export interface AdmissionReviewResponse {
  apiVersion: 'admission.k8s.io/v1';
  kind: 'AdmissionReview';
  response: {
    uid: string;
    allowed: boolean;
    status?: { code: number; message: string };
    patchType?: 'JSONPatch';
    patch?: string;
    warnings?: string[];
    auditAnnotations?: Record<string, string>;
  };
}

/** Validates a parsed JSON body as an AdmissionReview v1 with a request; throws BAD_INPUT naming the field. */
export function parseAdmissionReview(body: unknown, where = 'AdmissionReview'): AdmissionRequestV1 {
  const parsed = admissionReviewSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue && issue.path.length > 0 ? issue.path.join('.') : '(root)';
    throw new SigilError(
      'BAD_INPUT',
      `${where}: invalid AdmissionReview at ${path}: ${issue?.message ?? 'unknown problem'}`,
      'send apiVersion admission.k8s.io/v1, kind AdmissionReview with a request (uid, kind, resource, operation, userInfo)',
    );
  }
  return parsed.data.request;
}

/**
 * The API server rejects a patch on a non-allowed response and treats an empty warnings list the same
 * as none, so only the fields that carry meaning are written. Denials carry 403 like Kyverno's.
 */
export function buildAdmissionResponse(uid: string, decision: AdmissionDecision): AdmissionReviewResponse {
  const response: AdmissionReviewResponse['response'] = { uid, allowed: decision.allowed };
  if (!decision.allowed) {
    response.status = { code: 403, message: decision.message ?? 'denied by policy' };
  } else if (decision.message) {
    response.status = { code: 200, message: decision.message };
  }
  if (decision.allowed && decision.patch && decision.patch.length > 0) {
    response.patchType = 'JSONPatch';
    response.patch = Buffer.from(JSON.stringify(decision.patch)).toString('base64');
  }
  if (decision.warnings.length > 0) response.warnings = decision.warnings;
  if (decision.auditAnnotations && Object.keys(decision.auditAnnotations).length > 0) {
    response.auditAnnotations = decision.auditAnnotations;
  }
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response };
}
