import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BoundedMap } from '../../src/core/index.js';

describe('BoundedMap', () => {
  it('keeps at most its size, dropping the entry used least recently', () => {
    const map = new BoundedMap<string, number>(2);
    map.set('a', 1);
    map.set('b', 2);
    assert.equal(map.get('a'), 1);
    map.set('c', 3);
    assert.equal(map.size, 2);
    assert.equal(map.get('b'), undefined);
    assert.equal(map.get('a'), 1);
    assert.equal(map.get('c'), 3);
  });

  it('makes a value on a miss only, and stores nothing when making it throws', () => {
    const map = new BoundedMap<string, number>(4);
    let made = 0;
    const make = () => ++made;
    assert.equal(map.getOrSet('k', make), 1);
    assert.equal(map.getOrSet('k', make), 1);
    assert.throws(() =>
      map.getOrSet('bad', () => {
        throw new Error('no');
      }),
    );
    assert.equal(map.size, 1);
  });
});
