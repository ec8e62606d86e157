/**
 * test/go-regexp/table.json, rows taken from RE2's syntax page (github.com/google/re2/wiki/Syntax), held
 * against sigil's compileGoRegexp here and against Go's own regexp package by the Go test beside the table,
 * so the expected results are Go's, proven, not believed.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { compileGoRegexp, goRegexpProblem } from '../../src/core/index.js';
import { commandExists, peerMissing } from '../helpers/peers.js';

interface Row {
  syntax: string;
  pattern: string;
  refused?: true;
  match?: string[];
  noMatch?: string[];
  find?: { input: string; groups: (string | null)[] | null }[];
  findAll?: { input: string; limit: number; matches: string[] }[];
  replace?: { input: string; template: string; output: string; literal?: boolean }[];
}

const TABLE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'go-regexp');
const rows = JSON.parse(readFileSync(join(TABLE_DIR, 'table.json'), 'utf8')) as Row[];

describe("Go's regexp table (RE2 syntax page)", () => {
  for (const section of new Set(rows.map((row) => row.syntax))) {
    it(section, () => {
      for (const row of rows.filter((r) => r.syntax === section)) checkRow(row);
    });
  }

  it('is what Go itself does (go test in test/go-regexp)', {
    skip: peerMissing('go', commandExists('go')),
  }, () => {
    const out = execFileSync('go', ['test', '-count=1', '-v', './...'], {
      cwd: TABLE_DIR,
      encoding: 'utf8',
      // The table's module has no dependencies: no proxy, no toolchain download, no module cache writes.
      env: { ...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '-mod=mod', GOPROXY: 'off' },
    });
    assert.match(out, new RegExp(`${rows.length} rows checked against Go's regexp`));
  });
});

function checkRow(row: Row): void {
  const what = `${row.syntax}: ${JSON.stringify(row.pattern)}`;
  const problem = goRegexpProblem(row.pattern);
  if (row.refused) {
    assert.notEqual(problem, undefined, `${what} compiles in sigil; Go refuses it`);
    return;
  }
  assert.equal(problem, undefined, `${what} refused by sigil (${problem}); Go compiles it`);
  const re = compileGoRegexp(row.pattern, 'table');
  for (const input of row.match ?? [])
    assert.equal(re.test(input), true, `${what} should match ${JSON.stringify(input)}`);
  for (const input of row.noMatch ?? [])
    assert.equal(re.test(input), false, `${what} should not match ${JSON.stringify(input)}`);
  for (const { input, groups } of row.find ?? []) {
    const found = re.find(input);
    const got = found === undefined ? null : [found.text, ...found.groups.map((g) => g ?? null)];
    assert.deepEqual(got, groups, `${what} on ${JSON.stringify(input)}`);
  }
  for (const { input, limit, matches } of row.findAll ?? []) {
    assert.deepEqual(
      re.findAll(input, limit).map((m) => m.text),
      matches,
      `${what} findAll on ${JSON.stringify(input)}`,
    );
  }
  for (const { input, template, output, literal } of row.replace ?? []) {
    const got = literal ? re.replaceAllLiteral(input, template) : re.replaceAll(input, template);
    assert.equal(got, output, `${what} on ${JSON.stringify(input)} with ${JSON.stringify(template)}`);
  }
}
