/**
 * The cel-spec conformance suites (the data @bufbuild/cel-spec ships) for the parts of CEL policies use:
 * literals and logic, comparisons, lists and maps, field selection, macros, strings, `cel.bind` and
 * optionals, run through the environment ImageValidatingPolicies are compiled in. Tests needing protobuf
 * messages, type environments or bindings are out of scope (policies see JSON only). What cel-js gets wrong
 * (bytes ordering, `has()` on quoted keys, optional equality, strings.format/quote, a few cross-type cases)
 * is listed by name in cel-js-known-differences.json, so a regression in any other test fails.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tests } from '@bufbuild/cel-spec/testdata/conformance.js';
import { compileCel } from '../../../src/policy/cel/engine.js';
import { policyEnvironment } from '../../../src/policy/kyverno-cel/environment.js';

interface Suite {
  name: string;
  suites?: Suite[];
  tests?: { original: Record<string, unknown> & { name?: string; expr: string } }[];
}

const SUITES = [
  'basic',
  'bindings_ext',
  'comparisons',
  'fields',
  'lists',
  'logic',
  'macros',
  'optionals',
  'string',
  'string_ext',
];

/** cel-js's departures from cel-go in these suites, by `suite/section/test`. */
const KNOWN_DIFFERENCES = new Set<string>(
  JSON.parse(
    readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'cel-js-known-differences.json'), 'utf8'),
  ),
);

type Expected = Record<string, unknown>;

/** A cel-spec `Value` in its JSON form as the JavaScript value cel-js returns. */
function expectedValue(v: Expected): unknown {
  if ('int64Value' in v) return BigInt(v.int64Value as string);
  if ('uint64Value' in v) return BigInt(v.uint64Value as string);
  if ('doubleValue' in v) return Number(v.doubleValue);
  if ('stringValue' in v) return v.stringValue;
  if ('boolValue' in v) return v.boolValue;
  if ('nullValue' in v) return null;
  if ('bytesValue' in v) return new Uint8Array(Buffer.from(v.bytesValue as string, 'base64'));
  if ('listValue' in v) return ((v.listValue as { values?: Expected[] }).values ?? []).map(expectedValue);
  if ('mapValue' in v) {
    const entries = (v.mapValue as { entries?: { key: Expected; value: Expected }[] }).entries ?? [];
    return new Map(entries.map((e) => [expectedValue(e.key), expectedValue(e.value)]));
  }
  throw new Error(`unsupported value ${JSON.stringify(v)}`);
}

/** Comparable form: maps and objects as sorted entries, typed numbers kept apart. */
function normal(v: unknown): unknown {
  if (typeof v === 'bigint') return `int:${v}`;
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : `double:${v}`;
  if (v instanceof Uint8Array) return `bytes:${Buffer.from(v).toString('hex')}`;
  if (Array.isArray(v)) return v.map(normal);
  if (v instanceof Map)
    return [...v]
      .map(([k, x]) => [normal(k), normal(x)])
      .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
  if (v && typeof v === 'object' && (v as { constructor?: unknown }).constructor === Object) {
    return Object.entries(v)
      .map(([k, x]): [string, unknown] => [k, normal(x)])
      .sort((a, b) => a[0].localeCompare(b[0]));
  }
  return v;
}

function* cases(suite: Suite, path: string): Generator<[string, Record<string, unknown> & { expr: string }]> {
  for (const t of suite.tests ?? []) yield [`${path}/${t.original.name}`, t.original];
  for (const s of suite.suites ?? []) yield* cases(s, `${path}/${s.name}`);
}

/** What a test needs that policies never have: protobuf messages, declared types, bound variables. */
function outOfScope(t: Record<string, unknown>): boolean {
  const expr = String(t.expr);
  return (
    t.typeEnv !== undefined ||
    t.bindings !== undefined ||
    t.container !== undefined ||
    t.checkOnly === true ||
    (t.value === undefined && t.evalError === undefined) ||
    /google\.protobuf|TestAllTypes|cel\.expr|\bdyn\(|type\(|\bint32|uint\(|\du\b|timestamp|duration/.test(
      expr,
    )
  );
}

describe('cel-spec conformance (the suites policies use)', () => {
  const all = (tests as Suite).suites ?? [];
  for (const name of SUITES) {
    const suite = all.find((s) => s.name === name);
    it(name, async () => {
      assert.ok(suite, `suite ${name} ships`);
      const failures: string[] = [];
      let ran = 0;
      for (const [id, t] of cases(suite, name)) {
        if (outOfScope(t) || KNOWN_DIFFERENCES.has(id)) continue;
        ran++;
        let got: unknown;
        let error: unknown;
        try {
          got = compileCel(policyEnvironment(), t.expr, id).evaluate({});
        } catch (err) {
          error = err;
        }
        if (t.evalError !== undefined) {
          if (error === undefined) failures.push(id);
        } else if (
          error !== undefined ||
          JSON.stringify(normal(got), replacer) !==
            JSON.stringify(normal(expectedValue(t.value as Expected)), replacer)
        ) {
          failures.push(id);
        }
      }
      assert.ok(ran > 0, `${name}: some tests in scope`);
      assert.deepEqual(failures, [], `${name}: ${ran} run`);
    });
  }
});

function replacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? `${value}n` : value;
}
