/**
 * An ImageValidatingPolicy as the engine runs it: its CEL expressions compiled at load, its attestors
 * mapped onto the model's attestors, and its settings with Kyverno's defaults filled in.
 */
import type { CelProgram } from '../cel/engine.js';
import type { Attestor, LabelSelector } from '../model.js';

export type ValidationAction = 'Deny' | 'Audit' | 'Warn';

export interface ResourceRule {
  apiGroups: string[];
  apiVersions: string[];
  resources: string[];
  operations: string[];
  resourceNames: string[];
}

export interface CompiledImageValidation {
  /** `JSON` policies check payloads (`sigil policy apply --json`), never admission requests. */
  mode: 'Kubernetes' | 'JSON';
  validationActions: ValidationAction[];
  resourceRules: ResourceRule[];
  excludeResourceRules: ResourceRule[];
  namespaceSelector?: LabelSelector;
  objectSelector?: LabelSelector;
  matchConditions: { name: string; program: CelProgram }[];
  /** Empty: every image. */
  matchImages: ({ glob: RegExp } | { program: CelProgram })[];
  images: { name: string; program: CelProgram }[];
  variables: { name: string; program: CelProgram }[];
  /** By name: what CEL sees (`attestors.<name>`) and what verifies. */
  attestors: Map<string, { document: Record<string, unknown>; attestor: Attestor }>;
  attestations: Map<string, { kind: 'intoto' | 'referrer'; type: string }>;
  /** What CEL sees as `attestors` and `attestations`, built once: the same for every review. */
  celAttestors: ReadonlyMap<string, Record<string, unknown>>;
  celAttestations: ReadonlyMap<string, string>;
  validations: { program: CelProgram; message?: string; messageExpression?: CelProgram }[];
  auditAnnotations: { key: string; program: CelProgram }[];
  mutateDigest: boolean;
  verifyDigest: boolean;
  required: boolean;
}
