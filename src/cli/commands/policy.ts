import type { Command } from 'commander';
import { stringify } from 'yaml';
import { evaluateResource, type PolicyResult, policyFiles, yamlDocuments } from '../../policy/index.js';
import { parseOutput } from '../options.js';
import { printResult } from '../output.js';
import {
  addPolicyContextOptions,
  loadPoliciesWarning,
  type PolicyContextOptions,
  reportFor,
  resourceRequest,
  verifierContext,
} from '../policy-context.js';
import { action } from '../run.js';
import { registerPolicyTestCommand } from './policy-test.js';

interface ApplyOptions extends PolicyContextOptions {
  policy: string[];
  resource: string[];
  policyReport?: boolean;
  output: 'text' | 'json';
}

const collect = (value: string, previous: string[]) => [...previous, value];

export function registerPolicyCommands(program: Command): void {
  const policy = program
    .command('policy')
    .description('Kyverno verifyImages policies, offline (like the kyverno CLI)');
  registerPolicyTestCommand(policy);
  const apply = policy
    .command('apply')
    .description('Apply policies to resource manifests: verify their images, print results and patches')
    .requiredOption('--policy <path>', 'policy file or directory (repeatable)', collect, [])
    .requiredOption('--resource <path>', 'resource manifest file or directory (repeatable)', collect, [])
    .option('--policy-report', 'print the PolicyReports (YAML)')
    .option('-o, --output <format>', 'text or json', parseOutput, 'text')
    .addHelpText(
      'after',
      `
Exit code 1 when any rule fails or cannot be evaluated, as kyverno apply.

Examples:
  sigil policy apply --policy verify-images.yaml --resource pod.yaml
  sigil policy apply --policy ./policies --resource ./manifests --policy-report --trusted-root trusted_root.json`,
    );
  addPolicyContextOptions(apply).action(
    action(async (opts: ApplyOptions) => {
      const policies = loadPoliciesWarning(opts.policy);
      const context = verifierContext(opts);
      const resources = policyFiles(opts.resource).flatMap((file) =>
        yamlDocuments(file).map((d) => resourceRequest(d.document, d.where)),
      );
      // An ImageValidatingPolicy is one rule, named after it (Kyverno's count).
      const rules = policies.policies.reduce((n, p) => n + (p.imageValidation ? 1 : p.rules.length), 0);
      const evaluated = [];
      for (const request of resources) {
        const outcome = await evaluateResource(request, policies, { ...context, endpoint: 'mutate' });
        evaluated.push({ request, outcome });
      }
      const all: PolicyResult[] = evaluated.flatMap((e) => e.outcome.results);
      const count = (status: PolicyResult['result']) => all.filter((r) => r.result === status).length;
      const summary = {
        pass: count('pass'),
        fail: count('fail'),
        warn: count('warn'),
        error: count('error'),
        skip: count('skip'),
      };
      if (opts.output === 'json') {
        printResult(
          JSON.stringify({
            results: evaluated.map(({ request, outcome }) => ({
              resource: `${request.namespace}/${request.kind.kind}/${request.name}`,
              allowed: outcome.allowed,
              results: outcome.results,
              patch: outcome.patch,
            })),
            summary,
          }),
        );
      } else {
        printResult(`Applying ${rules} policy rule(s) to ${resources.length} resource(s)...\n`);
        for (const { request, outcome } of evaluated) {
          const resource = `${request.namespace}/${request.kind.kind}/${request.name}`;
          for (const r of outcome.results.filter((x) => x.result !== 'pass')) {
            printResult(
              `policy ${r.policy} -> resource ${resource} ${r.result}:\n  ${r.rule}: ${r.message}\n`,
            );
          }
          for (const p of outcome.patch.filter((x) => typeof x.value === 'string')) {
            printResult(`mutated ${resource}: ${p.path} = ${String(p.value)}`);
          }
        }
        printResult(
          `\npass: ${summary.pass}, fail: ${summary.fail}, warn: ${summary.warn}, error: ${summary.error}, skip: ${summary.skip}`,
        );
      }
      if (opts.policyReport) {
        for (const { request, outcome } of evaluated) {
          if (outcome.results.length > 0)
            printResult(`---\n${stringify(reportFor(request, outcome.results), { lineWidth: 0 })}`);
        }
      }
      if (summary.fail + summary.error > 0) process.exitCode = 1;
    }),
  );
}
