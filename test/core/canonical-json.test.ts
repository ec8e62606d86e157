import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalJson } from '../../src/core/index.js';

test('canonical JSON sorts keys and drops whitespace', () => {
  assert.equal(
    canonicalJson({ b: 1, a: [true, null, 'x'], c: { z: 1.5, y: 'é' } }),
    '{"a":[true,null,"x"],"b":1,"c":{"y":"é","z":1.5}}',
  );
});
