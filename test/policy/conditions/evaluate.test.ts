import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  type AnyAllConditions,
  anyAllConditionsSchema,
  evaluateConditions,
} from '../../../src/policy/conditions/index.js';

const vulnPredicate = JSON.parse(
  readFileSync('../shared/fixtures/cosign/attestations_vuln-predicate.json', 'utf8'),
) as {
  scanner: Record<string, unknown>;
};

/** The fixture as a scanner with results would write it (the fixture's own result is null). */
function scanned(summary: Record<string, number>): unknown {
  return { ...vulnPredicate, scanner: { ...vulnPredicate.scanner, result: { summary } } };
}

// The seed guide's "no critical vulnerabilities" condition on a cosign vuln predicate.
const noCritical: AnyAllConditions[] = [
  { all: [{ key: '{{ scanner.result.summary.criticalCount }}', operator: 'Equals', value: 0 }] },
];

test('seed: a vuln predicate without critical findings passes, one with them fails saying why', () => {
  assert.deepEqual(evaluateConditions(noCritical, scanned({ criticalCount: 0, highCount: 4 })), {
    passed: true,
    message: '',
  });
  const outcome = evaluateConditions(noCritical, scanned({ criticalCount: 2 }));
  assert.equal(outcome.passed, false);
  assert.equal(
    outcome.message,
    'conditions[0].all[0]: 2 (from "{{ scanner.result.summary.criticalCount }}") Equals 0 is false',
  );
});

test('the fixture vuln predicate has no result, so its count does not resolve and the condition fails closed', () => {
  const outcome = evaluateConditions(noCritical, vulnPredicate);
  assert.equal(outcome.passed, false);
  assert.equal(
    outcome.message,
    'conditions[0].all[0]: failed to substitute variables in condition key: failed to resolve scanner.result.summary.criticalCount at path /key: JMESPath query selected nothing',
  );
});

test('Kyverno docs style vuln conditions over the fixture: scanner uri and scan time window', () => {
  const blocks: AnyAllConditions[] = [
    {
      all: [
        { key: '{{ scanner.uri }}', operator: 'Equals', value: 'fakescanner.example.com/*' },
        {
          key: "{{ time_since('', metadata.scanFinishedOn, '2022-04-13T00:10:00Z') }}",
          operator: 'DurationLessThan',
          value: '168h',
        },
        { key: '{{ scanner.result.summary.CRITICAL || `0` }}', operator: 'LessThanOrEquals', value: 0 },
      ],
    },
  ];
  assert.equal(evaluateConditions(blocks, vulnPredicate).passed, true);
  const stale = structuredClone(blocks);
  const last = stale[0]?.all?.[1];
  if (last !== undefined) last.value = '1h';
  assert.equal(evaluateConditions(stale, vulnPredicate).passed, false);
});

test('seed: SPDX document version', () => {
  const blocks: AnyAllConditions[] = [
    { all: [{ key: '{{ spdxVersion }}', operator: 'Equals', value: 'SPDX-2.3' }] },
  ];
  assert.equal(evaluateConditions(blocks, { spdxVersion: 'SPDX-2.3', name: 'app' }).passed, true);
  const wrong = evaluateConditions(blocks, { spdxVersion: 'SPDX-2.2' });
  assert.equal(wrong.passed, false);
  assert.match(wrong.message, /"SPDX-2\.2" \(from "\{\{ spdxVersion \}\}"\) Equals "SPDX-2\.3" is false/);
  assert.equal(
    evaluateConditions(blocks, { bomFormat: 'CycloneDX' }).passed,
    false,
    'a non-SPDX predicate fails',
  );
});

test('all / any semantics across blocks', () => {
  const t = { key: 'a', operator: 'Equals', value: 'a' };
  const f = { key: 'a', operator: 'Equals', value: 'b' };
  assert.equal(evaluateConditions([], {}).passed, true);
  assert.equal(evaluateConditions([{}], {}).passed, true);
  assert.equal(evaluateConditions([{ all: [t, t] }], {}).passed, true);
  assert.equal(evaluateConditions([{ all: [t, f] }], {}).passed, false);
  assert.equal(evaluateConditions([{ any: [f, t] }], {}).passed, true);
  assert.equal(evaluateConditions([{ any: [] }], {}).passed, true);
  assert.equal(evaluateConditions([{ all: [t], any: [f] }], {}).passed, false);
  assert.equal(evaluateConditions([{ all: [t] }, { all: [f] }], {}).passed, false, 'every block must pass');
  const none = evaluateConditions([{ any: [f, { ...f, value: 'c' }] }], {});
  assert.equal(
    none.message,
    'none of conditions[0].any passed: conditions[0].any[0]: "a" Equals "b" is false; conditions[0].any[1]: "a" Equals "c" is false',
  );
});

test("a condition's message leads the reason, with its variables substituted", () => {
  const outcome = evaluateConditions(
    [{ all: [{ key: '{{ n }}', operator: 'LessThan', value: 3, message: 'too many replicas: {{ n }}' }] }],
    { n: 5 },
  );
  assert.equal(
    outcome.message,
    'too many replicas: 5 (conditions[0].all[0]: 5 (from "{{ n }}") LessThan 3 is false)',
  );
});

test('variables in the value side are substituted too', () => {
  const blocks: AnyAllConditions[] = [
    { all: [{ key: '{{ image }}', operator: 'AnyIn', value: '{{ allowed }}' }] },
  ];
  assert.equal(
    evaluateConditions(blocks, { image: 'ghcr.io/org/app', allowed: ['ghcr.io/org/*'] }).passed,
    true,
  );
  assert.equal(
    evaluateConditions(blocks, { image: 'docker.io/app', allowed: ['ghcr.io/org/*'] }).passed,
    false,
  );
});

test('the schema accepts Kyverno condition blocks and names the bad field', () => {
  const good = anyAllConditionsSchema.safeParse({
    all: [{ key: '{{ a }}', operator: 'AnyIn', value: ['x'], message: 'm' }],
  });
  assert.equal(good.success, true);
  const bad = anyAllConditionsSchema.safeParse({
    all: [
      { key: 1, operator: 'Equals', value: 1 },
      { key: 1, operator: 'Equalz', value: 1 },
    ],
  });
  assert.equal(bad.success, false);
  const issue = bad.error?.issues[0];
  assert.deepEqual(issue?.path, ['all', 1, 'operator']);
  assert.match(issue?.message ?? '', /^unknown operator "Equalz" \(one of Equals, NotEquals, /);
  for (const [input, path] of [
    [{ all: [{ operator: 'Equals', value: 1 }] }, ['all', 0, 'key']],
    [{ any: [{ key: 1, operator: 'Equals', extra: 1 }] }, ['any', 0]],
    [{ none: [] }, []],
    [{ all: { key: 1 } }, ['all']],
  ] as const) {
    const result = anyAllConditionsSchema.safeParse(input);
    assert.equal(result.success, false, JSON.stringify(input));
    assert.deepEqual(result.error?.issues[0]?.path, path, JSON.stringify(input));
  }
});

test('long values are shortened in the reason, and a message that is a whole variable is rendered as JSON', () => {
  const big = { items: Array.from({ length: 100 }, (_, i) => `item-${i}`) };
  const outcome = evaluateConditions(
    [{ all: [{ key: '{{ big }}', operator: 'Equals', value: {}, message: '{{ big.items[:2] }}' }] }],
    { big },
  );
  assert.equal(outcome.passed, false);
  assert.ok(
    outcome.message.startsWith('["item-0","item-1"] (conditions[0].all[0]: {"items":["item-0"'),
    outcome.message,
  );
  assert.ok(outcome.message.length < 600, 'the reason stays short');
  assert.match(outcome.message, /…/);
});
