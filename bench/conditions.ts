/**
 * Condition blocks evaluated per second: the per-request cost of a verifyImages attestation check and of a
 * policy's preconditions, dominated by `{{ }}` substitution (JMESPath ASTs are compiled once and cached).
 */
import { type AnyAllConditions, evaluateConditions } from '../src/policy/conditions/index.js';
import { formatTiming, measure } from './stats.js';

const EVALUATIONS = Number(process.env.SIGIL_BENCH_CONDITIONS ?? 100_000);

/** Conditions of the kinds the seeds and Kyverno's docs use on vuln and SBOM predicates and on admission requests. */
const blocks: AnyAllConditions[] = [
  {
    all: [
      { key: '{{ scanner.result.summary.criticalCount }}', operator: 'Equals', value: 0 },
      { key: '{{ scanner.result.summary.highCount }}', operator: 'LessThanOrEquals', value: 5 },
      {
        key: "{{ time_since('', metadata.scanFinishedOn, now) }}",
        operator: 'DurationLessThan',
        value: '168h',
      },
      { key: '{{ request.object.spec.containers[].image }}', operator: 'AllIn', value: ['ghcr.io/org/*'] },
    ],
    any: [
      { key: '{{ request.object.metadata.labels.env }}', operator: 'AnyIn', value: ['prod', 'staging'] },
      { key: '{{ to_lower(request.object.metadata.namespace) }}', operator: 'Equals', value: 'default' },
    ],
  },
];

function data(i: number): unknown {
  return {
    now: '2026-01-02T00:00:00Z',
    scanner: { result: { summary: { criticalCount: 0, highCount: i % 5 } } },
    metadata: { scanFinishedOn: '2026-01-01T00:00:00Z' },
    request: {
      object: {
        metadata: { namespace: 'Default', labels: { env: i % 2 === 0 ? 'prod' : 'dev' } },
        spec: { containers: [{ image: `ghcr.io/org/app:${i}` }, { image: 'ghcr.io/org/sidecar:1' }] },
      },
    },
  };
}

export async function benchConditions(): Promise<void> {
  const inputs = Array.from({ length: 1000 }, (_, i) => data(i));
  const timing = await measure(EVALUATIONS, (i) => {
    if (!evaluateConditions(blocks, inputs[i % inputs.length]).passed)
      throw new Error('benchmark conditions must pass');
  });
  console.log(formatTiming('conditions: block of 6 conditions (JMESPath, cached)', timing));
}
