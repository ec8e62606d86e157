import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evaluateConditions } from '../../../src/policy/conditions/index.js';

/** One row: key, operator, value, expected result (conditions are evaluated without variables here). */
type Row = [key: unknown, operator: string, value: unknown, expected: boolean];

function check(rows: Row[]): void {
  for (const [key, operator, value, expected] of rows) {
    const outcome = evaluateConditions([{ all: [{ key, operator, value }] }], {});
    assert.equal(outcome.passed, expected, `${JSON.stringify(key)} ${operator} ${JSON.stringify(value)}`);
  }
}

test('Equals / NotEquals follow Kyverno type rules', () => {
  check([
    ['a', 'Equals', 'a', true],
    ['a', 'Equals', 'b', false],
    ['nginx:1.21', 'Equals', 'nginx:*', true],
    ['nginx', 'Equals', 'ngin?', true],
    ['nginx', 'Equals', 'ngi?', false],
    ['*', 'Equals', 'nginx', false], // the pattern is the value, not the key
    [1, 'Equals', 1, true],
    [1, 'Equals', '1', true],
    [1.5, 'Equals', '1.5', true],
    [1, 'Equals', 'one', false],
    [0, 'Equals', false, false],
    [true, 'Equals', true, true],
    [true, 'Equals', 'true', false],
    ['1Gi', 'Equals', '1024Mi', true],
    ['500m', 'Equals', '0.5', true],
    ['1Gi', 'Equals', '1G', false],
    ['5', 'Equals', '5*', false], // a quantity key compares as a quantity, never as a wildcard
    ['1h', 'Equals', '60m', true],
    ['1h', 'Equals', 3600, true],
    ['90s', 'Equals', '1m30s', true],
    [{ a: [1, 2] }, 'Equals', { a: [1, 2] }, true],
    [{ a: [1, 2] }, 'Equals', { a: [2, 1] }, false],
    [[1, 'x'], 'Equals', [1, 'x'], true],
    [[1], 'Equals', '[1]', false],
    [null, 'Equals', null, false],
    ['a', 'NotEquals', 'b', true],
    ['a', 'Equal', 'a', true], // Kyverno's singular spellings
    ['a', 'NotEqual', 'a', false],
    ['nginx:1.21', 'NotEquals', 'nginx:*', false],
    [1, 'NotEquals', '2', true],
  ]);
});

test('numeric operators compare numbers, numeric strings, quantities, durations and versions', () => {
  check([
    [5, 'GreaterThan', 3, true],
    [3, 'GreaterThan', 3, false],
    [3, 'GreaterThanOrEquals', 3, true],
    ['10', 'GreaterThan', 9, true],
    [10, 'LessThan', '9.5', false],
    [2, 'LessThanOrEquals', '2', true],
    ['2Gi', 'GreaterThan', '1500Mi', true],
    ['100m', 'LessThan', '1', true],
    ['1h', 'GreaterThan', '59m', true],
    ['30s', 'LessThan', 31, true],
    ['1.10.0', 'GreaterThan', '1.9.3', true],
    ['1.0.0-rc.1', 'LessThan', '1.0.0', true],
    ['abc', 'GreaterThan', 1, false],
    [true, 'GreaterThan', 0, false],
    [5, 'GreaterThan', 'five', false],
  ]);
});

test('duration operators read Go durations and numbers as seconds', () => {
  check([
    ['2h', 'DurationGreaterThan', '1h', true],
    ['1h', 'DurationGreaterThan', '1h', false],
    ['1h', 'DurationGreaterThanOrEquals', '60m', true],
    ['500ms', 'DurationLessThan', '1s', true],
    [30, 'DurationLessThan', '1m', true],
    ['1m', 'DurationLessThanOrEquals', 60, true],
    ['1h30m', 'DurationGreaterThan', 5399, true],
    ['soon', 'DurationLessThan', '1h', false],
    ['1h', 'DurationLessThan', 'later', false],
  ]);
});

test('AnyIn / AllIn / AnyNotIn / AllNotIn over lists, wildcards, JSON strings and ranges', () => {
  check([
    ['a', 'AnyIn', ['a', 'b'], true],
    ['c', 'AnyIn', ['a', 'b'], false],
    [['a', 'c'], 'AnyIn', ['a', 'b'], true],
    [['c', 'd'], 'AnyIn', ['a', 'b'], false],
    [['a', 'b'], 'AllIn', ['a', 'b', 'c'], true],
    [['a', 'd'], 'AllIn', ['a', 'b', 'c'], false],
    [['prod-eu', 'prod-us'], 'AllIn', ['prod-*'], true],
    [['prod-*'], 'AnyIn', ['prod-eu'], true], // Kyverno matches patterns on either side
    [['a', 'd'], 'AnyNotIn', ['a', 'b'], true],
    [['a', 'b'], 'AnyNotIn', ['a', 'b'], false],
    [['c', 'd'], 'AllNotIn', ['a', 'b'], true],
    [['a', 'd'], 'AllNotIn', ['a', 'b'], false],
    ['a', 'AnyIn', '["a","b"]', true],
    ['a', 'AnyIn', 'a', true],
    [3, 'AnyIn', [1, 2, 3], true],
    [[1, 2], 'AllIn', [1, 2, 3], true],
    [3, 'AnyIn', '1-5', true],
    [6, 'AnyIn', '1-5', false],
    [['1', '6'], 'AnyIn', '1-5', true],
    [['1', '6'], 'AllIn', '1-5', false],
    [['2', '4'], 'AllIn', '1-5', true],
    [6, 'AnyIn', '1!-5', true],
    [3, 'AnyIn', '1!-5', false],
    [['1', '6'], 'AnyNotIn', '1-5', true],
    [['6', '7'], 'AllNotIn', '1-5', true],
    [['5', '7'], 'AllNotIn', '1-5', false],
    [{ a: 1 }, 'AnyIn', ['a'], false],
    ['a', 'AnyIn', { a: 1 }, false],
    ['a', 'AnyIn', '[1,2]', false], // a JSON array of non-strings is not a valid set
  ]);
});

test('deprecated In / NotIn keep working', () => {
  check([
    ['a', 'In', ['a', 'b'], true],
    ['c', 'In', ['a', 'b'], false],
    [['a', 'b'], 'In', ['a', 'b', 'c'], true],
    [['a', 'x'], 'In', ['a', 'b', 'c'], false],
    ['ngi*', 'In', ['nginx'], true], // In treats the key as the pattern against list values
    ['nginx', 'In', ['ngi*'], false],
    ['nginx', 'In', 'ngi*', true], // and a string value as the pattern
    [['a', 'b'], 'In', ['a', 1], false], // non-string list: wrong types fail In…
    [['a', 'b'], 'NotIn', ['a', 1], false], // …and NotIn alike
    [['a', 'x'], 'NotIn', ['a', 'b'], true],
    [{ a: 1 }, 'NotIn', ['a'], false],
    ['a', 'In', '["a"]', true],
    ['c', 'NotIn', ['a', 'b'], true],
    ['a', 'NotIn', ['a', 'b'], false],
  ]);
});

test('an unknown operator is an error naming where it is', () => {
  assert.throws(
    () =>
      evaluateConditions(
        [{ all: [{ key: 1, operator: 'Equals' }] }, { any: [{ key: 1, operator: 'Equalz', value: 1 }] }],
        {},
      ),
    (err: Error) => err.message === 'conditions[1].any[0].operator: unknown operator "Equalz"',
  );
});
