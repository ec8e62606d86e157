/**
 * `sigil policy test DIR`: Kyverno's `kyverno test` for verifyImages policies. Every `kyverno-test.yaml`
 * under DIR (cli.kyverno.io/v1alpha1 Test) names policies, resources and the result expected per policy,
 * rule and resource; the run prints a table and exits 1 when any result differs.
 */
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { SigilError } from '../../core/index.js';
import { evaluateResource, type PolicyResult, policyFiles, yamlDocuments } from '../../policy/index.js';
import { printResult } from '../output.js';
import {
  addPolicyContextOptions,
  loadPoliciesWarning,
  type PolicyContextOptions,
  resourceRequest,
  verifierContext,
} from '../policy-context.js';
import { action } from '../run.js';

const testSchema = z.object({
  policies: z.array(z.string()).min(1),
  resources: z.array(z.string()).min(1),
  results: z
    .array(
      z.object({
        policy: z.string(),
        // CEL policies (isImageValidatingPolicy: true) name no rule: Kyverno reports them under the policy's name.
        rule: z.string().optional(),
        isImageValidatingPolicy: z.boolean().optional(),
        resources: z.array(z.string()).optional(),
        resource: z.string().optional(),
        kind: z.string().optional(),
        result: z.enum(['pass', 'fail', 'warn', 'error', 'skip']),
      }),
    )
    .min(1),
});

type Status = PolicyResult['result'];
/** Several images under one rule: the worst outcome is the rule's result for the resource. */
const SEVERITY: Status[] = ['skip', 'pass', 'warn', 'fail', 'error'];

export function registerPolicyTestCommand(policy: Command): void {
  const test = policy
    .command('test')
    .description('Run kyverno-test.yaml files: expected results per policy, rule and resource')
    .argument('<dir>', 'directory searched for kyverno-test.yaml files')
    .addHelpText('after', '\nExample:\n  sigil policy test ./tests --trusted-root trusted_root.json');
  addPolicyContextOptions(test).action(
    action(async (dir: string, opts: PolicyContextOptions) => {
      const files = policyFiles([dir]).filter((f) => /(^|\/)kyverno-test\.ya?ml$/.test(f));
      if (files.length === 0) throw new SigilError('NOT_FOUND', `${dir}: no kyverno-test.yaml found`);
      const context = verifierContext(opts);
      let passed = 0;
      let failed = 0;
      for (const file of files) {
        printResult(`Loading test ( ${file} ) ...`);
        for (const { document, where } of yamlDocuments(file)) {
          const parsed = testSchema.safeParse(document);
          if (!parsed.success) {
            const issue = parsed.error.issues[0];
            throw new SigilError(
              'BAD_INPUT',
              `${where}: ${issue?.path.join('.') || '(document)'}: ${issue?.message}`,
            );
          }
          const base = dirname(file);
          const at = (p: string) => resolve(base, p);
          const policies = loadPoliciesWarning(parsed.data.policies.map(at));
          const actual = new Map<string, Status>();
          for (const f of policyFiles(parsed.data.resources.map(at))) {
            for (const doc of yamlDocuments(f)) {
              const request = resourceRequest(doc.document, doc.where);
              const outcome = await evaluateResource(request, policies, { ...context, endpoint: 'mutate' });
              for (const r of outcome.results) {
                // CEL policies are expected by policy alone: their one result may carry any rule name
                // (Kyverno's `evaluation` on an error), so they are also recorded under the rule `*`.
                for (const rule of [r.rule, '*']) {
                  const key = `${r.policy}/${rule}/${request.kind.kind}/${request.name}`;
                  const previous = actual.get(key) ?? 'skip';
                  actual.set(
                    key,
                    SEVERITY.indexOf(r.result) > SEVERITY.indexOf(previous) ? r.result : previous,
                  );
                }
              }
            }
          }
          printResult('│ ID │ POLICY │ RULE │ RESOURCE │ RESULT │ REASON │');
          let id = 0;
          for (const result of parsed.data.results) {
            const expected = { ...result, rule: result.rule ?? result.policy };
            const lookupRule =
              result.isImageValidatingPolicy || result.rule === undefined ? '*' : expected.rule;
            const names = expected.resources ?? (expected.resource ? [expected.resource] : []);
            for (const name of names) {
              id++;
              const got =
                actual.get(`${expected.policy}/${lookupRule}/${expected.kind ?? 'Pod'}/${name}`) ?? 'skip';
              const ok = got === expected.result;
              if (ok) passed++;
              else failed++;
              const reason = ok ? 'Ok' : `Want ${expected.result}, got ${got}`;
              printResult(
                `│ ${id} │ ${expected.policy} │ ${expected.rule} │ ${expected.kind ?? 'Pod'}/${name} │ ${ok ? 'Pass' : 'Fail'} │ ${reason} │`,
              );
            }
          }
        }
      }
      printResult(`\nTest Summary: ${passed} tests passed and ${failed} tests failed`);
      if (failed > 0) process.exitCode = 1;
    }),
  );
}
