import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { PolicyWatcher } from '../../src/admission/index.js';

/** A stand-in loader: the policy file must be JSON with a "rules" array, like a schema check would demand. */
function loader(file: string): () => Promise<string[]> {
  return async () => {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { rules?: unknown };
    if (!Array.isArray(parsed.rules)) throw new Error(`${file}: rules: expected an array`);
    return parsed.rules as string[];
  };
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 20));
}

test('a changed policy file is reloaded and swapped in with a new generation; a broken one keeps the old set', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sigil-policies-'));
  const file = join(dir, 'policy.json');
  writeFileSync(file, JSON.stringify({ rules: ['check-signature'] }));
  const outcomes: boolean[] = [];
  const watcher = await PolicyWatcher.start({
    directory: dir,
    load: loader(file),
    debounceMs: 20,
    onReload: (outcome) => outcomes.push(outcome.ok),
  });
  try {
    assert.deepEqual(watcher.state, { policies: ['check-signature'], generation: 1 });

    writeFileSync(file, JSON.stringify({ rules: ['check-signature', 'check-sbom'] }));
    await until(() => watcher.state.generation === 2);
    assert.deepEqual(watcher.state.policies, ['check-signature', 'check-sbom']);

    writeFileSync(file, JSON.stringify({ rules: 'oops' }));
    await until(() => watcher.state.error !== undefined);
    assert.equal(watcher.state.generation, 2);
    assert.deepEqual(watcher.state.policies, ['check-signature', 'check-sbom']);
    assert.match(watcher.state.error ?? '', /rules: expected an array/);

    writeFileSync(file, JSON.stringify({ rules: [] }));
    await until(() => watcher.state.error === undefined);
    assert.equal(watcher.state.generation, 3);
    assert.ok(outcomes.includes(false) && outcomes.at(-1) === true);
  } finally {
    watcher.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an initial set that fails to load refuses to start', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sigil-policies-'));
  const file = join(dir, 'policy.json');
  writeFileSync(file, '{');
  try {
    await assert.rejects(PolicyWatcher.start({ directory: dir, load: loader(file) }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
