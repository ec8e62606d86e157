/**
 * SharedResults, under the tag resolution and image verification caches: the freshness bound holds for
 * answers still on their way too. A lookup sent longer ago than the bound is not joined, and an older
 * lookup that answers last does not replace a newer answer.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SharedResults } from '../../src/policy/shared-results.js';

/** A lookup the test answers by hand. */
function pending(): { lookup: () => Promise<string>; answer: (value: string) => void; calls: () => number } {
  const answers: ((value: string) => void)[] = [];
  return {
    lookup: () => new Promise<string>((resolve) => answers.push(resolve)),
    answer: (value) => answers.shift()?.(value),
    calls: () => answers.length,
  };
}

describe('SharedResults', () => {
  it('joins a lookup under way only while it was sent within the bound', async () => {
    let now = 0;
    const results = new SharedResults({ ttlMs: 5_000, maxEntries: 10, now: () => now });
    const scope = {};
    const registry = pending();
    const first = results.run(scope, 'tag', registry.lookup, () => true);
    now = 4_999;
    const joined = results.run(scope, 'tag', registry.lookup, () => true);
    assert.equal(registry.calls(), 1, 'joined: sent 4.999 s ago');
    now = 5_000;
    const late = results.run(scope, 'tag', registry.lookup, () => true);
    assert.equal(registry.calls(), 2, 'sent 5 s ago: too old to join, asked again');
    registry.answer('old digest');
    registry.answer('new digest');
    assert.deepEqual(await Promise.all([first, joined, late]), ['old digest', 'old digest', 'new digest']);
    now = 9_999;
    assert.equal(await results.run(scope, 'tag', registry.lookup, () => true), 'new digest');
  });

  it('keeps the newer answer when an older lookup answers last', async () => {
    let now = 0;
    const results = new SharedResults({ ttlMs: 5_000, maxEntries: 10, now: () => now });
    const scope = {};
    const slow = pending();
    const older = results.run(scope, 'tag', slow.lookup, () => true);
    now = 6_000;
    const newer = results.run(
      scope,
      'tag',
      async () => 'new digest',
      () => true,
    );
    assert.equal(await newer, 'new digest');
    slow.answer('old digest');
    assert.equal(await older, 'old digest');
    now = 7_000;
    let asked = false;
    const answer = await results.run(
      scope,
      'tag',
      async () => {
        asked = true;
        return 'asked again';
      },
      () => true,
    );
    assert.equal(answer, 'new digest');
    assert.equal(asked, false);
  });
});
