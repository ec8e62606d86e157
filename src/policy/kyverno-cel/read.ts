/**
 * Reads an `ImageValidatingPolicy` / `NamespacedImageValidatingPolicy` document into the engine's model:
 * a Policy without verifyImages rules whose `imageValidation` holds the compiled CEL and attestors. Every
 * expression is parsed and type-checked now, so a mistake fails the load naming the file, the document, the
 * field and the column. Fields sigil cannot honour load with a warning and fail closed.
 */
import { SigilError } from '../../core/index.js';
import { compileCel } from '../cel/engine.js';
import type { Policy } from '../model.js';
import { POD_CONTROLLERS } from '../resource.js';
import { parsePolicy } from '../schema.js';
import { readAttestor } from './attestors.js';
import type { CompiledImageValidation, ResourceRule } from './compiled.js';
import { imageMatchEnvironment, policyEnvironment } from './environment.js';
import { globPattern } from './glob.js';
import { type ImageValidatingPolicyDocument, imageValidatingPolicySchema } from './schema.js';

export const IMAGE_VALIDATING_KINDS = ['ImageValidatingPolicy', 'NamespacedImageValidatingPolicy'];

export function readImageValidatingPolicy(document: unknown, where: string): Policy {
  const doc = parsePolicy(imageValidatingPolicySchema, document, where, 'ImageValidatingPolicy');
  const { spec, metadata } = doc;
  const warnings: string[] = [];
  const env = policyEnvironment();
  const at = (path: string) => `${where}: ${path}`;
  const compile = (expression: string, path: string, types: string[] = []) =>
    compileCel(env, expression, at(path), types);
  const config = spec.validationConfigurations ?? {};
  const actions = spec.validationActions?.length ? spec.validationActions : (['Deny'] as const);
  if (spec.credentials) {
    warnings.push(
      `${at('spec.credentials')}: registry credentials are not supported: images of this policy fail`,
    );
  }
  const attestors = new Map(
    (spec.attestors ?? []).map((a, i) => {
      const attestor = spec.credentials
        ? ({ kind: 'unsupported', what: 'spec.credentials' } as const)
        : readAttestor(a, at(`spec.attestors[${i}]`), warnings);
      return [a.name, { document: { ...a }, attestor }] as const;
    }),
  );
  const attestations: CompiledImageValidation['attestations'] = new Map(
    (spec.attestations ?? []).map((a, i): [string, { kind: 'intoto' | 'referrer'; type: string }] => {
      if (a.intoto) return [a.name, { kind: 'intoto', type: a.intoto.type }];
      if (a.referrer) {
        warnings.push(
          `${at(`spec.attestations[${i}].referrer`)}: OCI referrer attestations are not supported: their checks fail`,
        );
        return [a.name, { kind: 'referrer', type: a.referrer.type }];
      }
      throw new SigilError(
        'BAD_INPUT',
        `${at(`spec.attestations[${i}]`)}: either intoto or referrer must be set`,
      );
    }),
  );
  const imageValidation: CompiledImageValidation = {
    mode: spec.evaluation?.mode ?? 'Kubernetes',
    validationActions: [...actions],
    resourceRules: (spec.matchConstraints?.resourceRules ?? []).map(resourceRule),
    excludeResourceRules: (spec.matchConstraints?.excludeResourceRules ?? []).map(resourceRule),
    ...(spec.matchConstraints?.namespaceSelector
      ? { namespaceSelector: spec.matchConstraints.namespaceSelector }
      : {}),
    ...(spec.matchConstraints?.objectSelector
      ? { objectSelector: spec.matchConstraints.objectSelector }
      : {}),
    matchConditions: (spec.matchConditions ?? []).map((c, i) => ({
      name: c.name,
      program: compile(c.expression, `spec.matchConditions[${i}].expression`, ['bool']),
    })),
    matchImages: (spec.matchImageReferences ?? []).map((m, i) => {
      if (m.glob) return { glob: globPattern(m.glob, at(`spec.matchImageReferences[${i}].glob`)) };
      if (m.expression) {
        return {
          program: compileCel(
            imageMatchEnvironment(),
            m.expression,
            at(`spec.matchImageReferences[${i}].expression`),
            ['bool'],
          ),
        };
      }
      throw new SigilError(
        'BAD_INPUT',
        `${at(`spec.matchImageReferences[${i}]`)}: either glob or expression must be set`,
      );
    }),
    images: (spec.images ?? []).map((e, i) => ({
      name: e.name,
      program: compile(e.expression, `spec.images[${i}].expression`, ['list<string>', 'list<dyn>']),
    })),
    variables: (spec.variables ?? []).map((v, i) => ({
      name: v.name,
      program: compile(v.expression, `spec.variables[${i}].expression`),
    })),
    attestors,
    attestations,
    celAttestors: new Map([...attestors].map(([name, a]) => [name, a.document])),
    celAttestations: new Map([...attestations.keys()].map((name) => [name, name])),
    validations: (spec.validations ?? []).map((v, i) => ({
      program: compile(v.expression, `spec.validations[${i}].expression`, ['bool']),
      ...(v.message ? { message: v.message } : {}),
      ...(v.messageExpression
        ? {
            messageExpression: compile(v.messageExpression, `spec.validations[${i}].messageExpression`, [
              'string',
            ]),
          }
        : {}),
    })),
    auditAnnotations: (spec.auditAnnotations ?? []).map((a, i) => ({
      key: a.key,
      program: compile(a.valueExpression, `spec.auditAnnotations[${i}].valueExpression`, ['string']),
    })),
    mutateDigest: config.mutateDigest ?? true,
    verifyDigest: config.verifyDigest ?? true,
    required: config.required ?? true,
  };
  if (imageValidation.validations.length === 0 && imageValidation.auditAnnotations.length === 0) {
    throw new SigilError(
      'BAD_INPUT',
      `${at('spec.validations')}: validations and auditAnnotations may not both be empty`,
    );
  }
  return {
    name: metadata.name,
    ...(doc.kind === 'NamespacedImageValidatingPolicy' ? { namespace: metadata.namespace ?? 'default' } : {}),
    failureAction: actions.includes('Deny') ? 'Enforce' : 'Audit',
    failureActionOverrides: [],
    failurePolicy: spec.failurePolicy ?? 'Fail',
    ...(spec.webhookConfiguration?.timeoutSeconds
      ? { webhookTimeoutSeconds: spec.webhookConfiguration.timeoutSeconds }
      : {}),
    background: spec.evaluation?.background?.enabled ?? true,
    ...severityAndCategory(doc),
    autogenControllers: spec.autogen?.podControllers?.controllers ?? [...POD_CONTROLLERS, 'CronJob'],
    rules: [],
    source: where,
    origin: 'ImageValidatingPolicy',
    imageValidation,
    warnings,
  };
}

function severityAndCategory(doc: ImageValidatingPolicyDocument): { severity?: string; category?: string } {
  const annotations = doc.metadata.annotations ?? {};
  const severity = annotations['policies.kyverno.io/severity'];
  const category = annotations['policies.kyverno.io/category'];
  return { ...(severity ? { severity } : {}), ...(category ? { category } : {}) };
}

function resourceRule(r: {
  apiGroups?: string[] | undefined;
  apiVersions?: string[] | undefined;
  resources?: string[] | undefined;
  operations?: string[] | undefined;
  resourceNames?: string[] | undefined;
}): ResourceRule {
  return {
    apiGroups: r.apiGroups ?? ['*'],
    apiVersions: r.apiVersions ?? ['*'],
    resources: r.resources ?? [],
    operations: r.operations ?? ['*'],
    resourceNames: r.resourceNames ?? [],
  };
}
