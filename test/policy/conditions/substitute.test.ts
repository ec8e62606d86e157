import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isSigilError } from '../../../src/core/errors.js';
import { substituteVariables } from '../../../src/policy/conditions/index.js';

const data = {
  request: {
    object: { metadata: { name: 'web', labels: { app: 'shop', tier: 'front' } }, spec: { replicas: 3 } },
  },
  images: ['a', 'b'],
};

test('a whole-string variable keeps the JSON type of its result', () => {
  assert.equal(substituteVariables('{{ request.object.spec.replicas }}', data), 3);
  assert.deepEqual(substituteVariables('{{request.object.metadata.labels}}', data), {
    app: 'shop',
    tier: 'front',
  });
  assert.equal(
    substituteVariables(' {{ images }}', data),
    ' ["a","b"]',
    'only an exact match keeps the type',
  );
  assert.equal(substituteVariables("{{ request.object.metadata.name == 'web' }}", data), true);
});

test('embedded variables are spliced in as text, non-strings as JSON', () => {
  assert.equal(
    substituteVariables(
      'pod {{ request.object.metadata.name }} has {{ request.object.spec.replicas }} replicas',
      data,
    ),
    'pod web has 3 replicas',
  );
  assert.equal(substituteVariables('images: {{ images }}', data), 'images: ["a","b"]');
});

test('substitution reaches every string at any depth and leaves other values alone', () => {
  const input = {
    key: '{{ request.object.metadata.name }}',
    list: [1, '{{ images[0] }}', { deep: '{{ images[1] }}' }],
    flag: true,
    none: null,
  };
  assert.deepEqual(substituteVariables(input, data), {
    key: 'web',
    list: [1, 'a', { deep: 'b' }],
    flag: true,
    none: null,
  });
  assert.deepEqual(input.list[1], '{{ images[0] }}', 'the input is not modified');
});

test('escaped variables are not evaluated and lose their backslash', () => {
  assert.equal(
    substituteVariables('\\{{ request.object.metadata.name }}', data),
    '{{ request.object.metadata.name }}',
  );
  assert.equal(substituteVariables('a \\{{ x }} b {{ images[0] }}', data), 'a {{ x }} b a');
});

test('nested variables resolve inside out', () => {
  assert.equal(substituteVariables("{{ request.object.metadata.labels.{{ 'app' }} }}", data), 'shop');
  assert.equal(
    substituteVariables('name-{{ request.object.metadata.{{ key }} }}', { ...data, key: 'name' }),
    'name-web',
  );
});

test('JMESPath multiselect hashes inside a variable', () => {
  assert.deepEqual(substituteVariables('{{ request.object.metadata.{n: name} }}', data), { n: 'web' });
});

test('a variable that selects nothing is an error naming it and its path', () => {
  assert.throws(
    () => substituteVariables({ conditions: [{ key: '{{ request.object.spec.missing }}' }] }, data),
    (err: unknown) =>
      isSigilError(err, 'BAD_INPUT') &&
      err.message ===
        'variable substitution failed: failed to resolve request.object.spec.missing at path /conditions/0/key: JMESPath query selected nothing',
  );
  assert.equal(substituteVariables("{{ request.object.spec.missing || 'none' }}", data), 'none');
});

test('a malformed expression or unknown function is an error naming the variable', () => {
  assert.throws(
    () => substituteVariables('{{ images[ }}', data),
    /variable substitution failed: failed to resolve images\[ at path \/: invalid JMESPath expression/,
  );
  assert.throws(() => substituteVariables('{{ no_such_fn(images) }}', data), /Unknown function: no_such_fn/);
});
