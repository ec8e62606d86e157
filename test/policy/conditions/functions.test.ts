import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import { test } from 'node:test';
import * as x509 from '@peculiar/x509';
import { queryJmesPath } from '../../../src/policy/conditions/index.js';

/** One row: expression, data, expected result. */
type Row = [expression: string, expected: unknown];

function check(rows: Row[], data: unknown = {}): void {
  for (const [expression, expected] of rows)
    assert.deepEqual(queryJmesPath(expression, data), expected, expression);
}

test('string functions', () => {
  check([
    ["compare('a', 'b')", -1],
    ["compare('b', 'b')", 0],
    ["equal_fold('Go', 'GO')", true],
    ["replace('a-b-a', 'a', 'x', `1`)", 'x-b-a'],
    ["replace('a-b-a', 'a', 'x', `-1`)", 'x-b-x'],
    ["replace('a-b-a', 'a', 'x')", 'x-b-x'],
    ["replace_all('a-b-a', 'a', 'x')", 'x-b-x'],
    ["to_upper('abc')", 'ABC'],
    ["to_lower('ABC')", 'abc'],
    ["trim('--a-b--', '-')", 'a-b'],
    ["trim_prefix('v1.2.3', 'v')", '1.2.3'],
    ["trim_prefix('1.2.3', 'v')", '1.2.3'],
    ["split('a,b,c', ',')", ['a', 'b', 'c']],
    ["join('-', ['a', 'b'])", 'a-b'],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: ${1} is Go's regexp template syntax, not a JS placeholder
    ["regex_replace_all('([a-z]+)-(\\d+)', 'web-12', '$2.${1}')", '12.web'],
    ["regex_replace_all_literal('\\d', 'a1b2', '$1')", 'a$1b$1'],
    ["regex_match('^ghcr\\.io/', 'ghcr.io/org/app')", true],
    ["regex_match('^ghcr\\.io/', 'docker.io/app')", false],
    ["pattern_match('ghcr.io/*', 'ghcr.io/org/app')", true],
    ["truncate('abcdef', `3`)", 'abc'],
    ["truncate('ab', `3`)", 'ab'],
    ["semver_compare('1.2.3', '>=1.0.0 <2.0.0')", true],
    ["semver_compare('2.0.0', '>=1.0.0 <2.0.0 || 3.0.0')", false],
    ["semver_compare('3.0.0', '>=1.0.0 <2.0.0 || 3.0.0')", true],
    ["semver_compare('not-a-version', '<0.0.1')", true], // Kyverno compares an unparseable version as 0.0.0
    ["path_canonicalize('/a/b/../c/./d//')", '/a/c/d'],
    ["path_canonicalize('/../etc')", '/etc'],
    ["path_canonicalize('a/../..')", '..'],
  ]);
  check(
    [
      ['label_match(selector, labels)', true],
      ['label_match(labels, selector)', false],
    ],
    {
      selector: { app: 'shop' },
      labels: { app: 'shop', tier: 'front' },
    },
  );
});

test('arithmetic over numbers, quantities and durations', () => {
  check([
    ['add(`1`, `2`)', 3],
    ["add('1Gi', '512Mi')", '1536Mi'],
    ["add('1h', '30m')", '1h30m0s'],
    ["subtract('2h', '30m')", '1h30m0s'],
    ['multiply(`3`, `4`)', 12],
    ["multiply('500m', `4`)", '2'],
    ["multiply(`2`, '1h')", '2h0m0s'],
    ['divide(`7`, `2`)', 3.5],
    ["divide('1Gi', '512Mi')", 2],
    ["divide('1h', '30m')", 2],
    ['modulo(`7`, `3`)', 1],
    ["modulo('10s', '3s')", '1s'],
    ['round(`3.14159`, `2`)', 3.14],
    ['sum([`1`, `2`, `3`])', 6],
    ["sum(['1h', '30m'])", '1h30m0s'],
  ]);
  assert.throws(
    () => queryJmesPath("add('1Gi', '1h')", {}),
    /add\(\): cannot combine a quantity with a duration/,
  );
  assert.throws(() => queryJmesPath('divide(`1`, `0`)', {}), /division by zero/);
  assert.throws(() => queryJmesPath('modulo(`1.5`, `1`)', {}), /integers/);
  assert.throws(() => queryJmesPath("add('x', `1`)", {}), /neither a number, a quantity nor a duration/);
});

test('encoding and data functions', () => {
  check([
    ["base64_encode('hello')", 'aGVsbG8='],
    ["base64_decode('aGVsbG8=')", 'hello'],
    ['parse_json(\'{"a": [1, true]}\')', { a: [1, true] }],
    ["parse_yaml('a: 1\nb: [x]')", { a: 1, b: ['x'] }],
    [
      "items({b: `2`, a: `1`}, 'key', 'value')",
      [
        { key: 'a', value: 1 },
        { key: 'b', value: 2 },
      ],
    ],
    ["items(['x'], 'i', 'v')", [{ i: 0, v: 'x' }]],
    ['items({a: `1`})', [['a', 1]]],
    ["object_from_lists(['a', 'b'], [`1`])", { a: 1, b: null }],
    ["lookup({a: `1`}, 'a')", 1],
    ['lookup([`5`, `6`], `1`)', 6],
    ["lookup({a: `1`}, 'b')", null],
    ["to_boolean('True')", true],
    ["image_normalize('nginx')", 'docker.io/library/nginx:latest'],
    ["image_normalize('ghcr.io/org/app:v1')", 'ghcr.io/org/app:v1'],
    [
      "image_normalize('localhost:5000/app:v1@sha256:0000000000000000000000000000000000000000000000000000000000000000')",
      'localhost:5000/app@sha256:0000000000000000000000000000000000000000000000000000000000000000',
    ],
  ]);
  assert.throws(() => queryJmesPath("base64_decode('not base64!')", {}), /not standard base64/);
  assert.throws(() => queryJmesPath("parse_json('{')", {}), /parse_json\(\)/);
  assert.throws(
    () => queryJmesPath("image_normalize('Bad Image')", {}),
    /image_normalize\(\): invalid image reference/,
  );
  assert.throws(() => queryJmesPath("to_boolean('yes')", {}), /lowercase argument must be 'true' or 'false'/);
  assert.throws(
    () => queryJmesPath("semver_compare('1.0.0', 'about one')", {}),
    /not a semantic version range/,
  );
});

test('time functions', () => {
  check([
    ["time_add('2023-01-01T00:00:00Z', '1h30m')", '2023-01-01T01:30:00Z'],
    ["time_diff('2023-01-01T00:00:00Z', '2023-01-02T01:00:00Z')", '25h0m0s'],
    ["time_since('', '2023-01-01T00:00:00Z', '2023-01-01T00:00:10Z')", '10s'],
    ["time_before('2023-01-01T00:00:00Z', '2023-01-02T00:00:00Z')", true],
    ["time_after('2023-01-01T00:00:00Z', '2023-01-02T00:00:00Z')", false],
    ["time_between('2023-01-01T12:00:00Z', '2023-01-01T00:00:00Z', '2023-01-02T00:00:00Z')", true],
    ["time_utc('2023-01-01T02:00:00+02:00')", '2023-01-01T00:00:00Z'],
    ["time_parse('2006-01-02T15:04:05Z07:00', '2023-05-06T07:08:09+01:00')", '2023-05-06T07:08:09+01:00'],
    ["time_parse('Mon Jan _2 15:04:05 MST 2006', 'Tue Mar  7 14:05:09 UTC 2023')", '2023-03-07T14:05:09Z'],
    ["time_parse('Jan 2, 2006 at 3:04pm (MST)', 'Feb 3, 2013 at 7:54pm (PST)')", '2013-02-03T19:54:00Z'],
    [
      "time_parse('02/01/2006 15:04:05.000 -0700', '31/12/2022 23:59:58.250 -0500')",
      '2022-12-31T23:59:58-05:00',
    ],
    ["time_parse('1136239445', '1136239445')", '2006-01-02T22:04:05Z'],
    ["time_since('2006-01-02', '2023-01-01', '2023-01-03')", '48h0m0s'],
    ["time_add('2023-01-01T00:00:00+02:00', '1h')", '2023-01-01T01:00:00+02:00'],
    ["time_to_cron('2023-02-03T23:30:00-02:00')", '30 23 3 2 5'],
    ["time_utc('2023-01-01T00:00:00.5Z')", '2023-01-01T00:00:00Z'],
    ["time_to_cron('2023-02-03T04:05:00Z')", '5 4 3 2 5'],
    ["time_truncate('2023-01-01T05:47:13Z', '1h')", '2023-01-01T05:00:00Z'],
  ]);
  const now = Date.parse(queryJmesPath('time_now_utc()', {}) as string);
  assert.ok(Math.abs(now - Date.now()) < 60_000, 'time_now_utc is the current time');
  assert.throws(() => queryJmesPath("time_add('yesterday', '1h')", {}), /not an RFC 3339 time/);
  assert.throws(
    () => queryJmesPath("time_parse('2006-01-02', '2023-02-30')", {}),
    /is not a time in layout "2006-01-02"/,
  );
  assert.throws(() => queryJmesPath("time_parse('2006-01-02', '23-02-01')", {}), /is not a time in layout/);
  assert.throws(() => queryJmesPath("time_parse('123', 'noon')", {}), /is not Unix seconds/);
});

test('an unknown function or a wrong argument type is an error', () => {
  assert.throws(() => queryJmesPath('nope(`1`)', {}), /Unknown function: nope/);
  assert.throws(() => queryJmesPath('to_upper(`1`)', {}), /to_upper/);
});

test('x509_decode reads an RSA certificate as Go marshals x509.Certificate', async () => {
  const keys = await webcrypto.subtle.generateKey(
    {
      name: 'RSASSA-PKCS1-v1_5',
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: 'SHA-256',
    },
    true,
    ['sign', 'verify'],
  );
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: '0102',
      name: 'CN=signer.example.com, O=Example Org, C=DE',
      notBefore: new Date('2024-01-01T00:00:00Z'),
      notAfter: new Date('2025-01-01T00:00:00Z'),
      keys,
      signingAlgorithm: { name: 'RSASSA-PKCS1-v1_5' },
      extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: 'signer.example.com' }])],
    },
    webcrypto,
  );
  const decoded = queryJmesPath('x509_decode(pem)', { pem: cert.toString('pem') }) as Record<string, unknown>;
  assert.deepEqual(decoded.Subject, {
    Country: ['DE'],
    Organization: ['Example Org'],
    OrganizationalUnit: null,
    Locality: null,
    Province: null,
    StreetAddress: null,
    PostalCode: null,
    SerialNumber: '',
    CommonName: 'signer.example.com',
  });
  assert.equal(decoded.SerialNumber, '258');
  assert.equal(decoded.NotBefore, '2024-01-01T00:00:00Z');
  assert.equal(decoded.NotAfter, '2025-01-01T00:00:00Z');
  assert.deepEqual(decoded.DNSNames, ['signer.example.com']);
  assert.equal((decoded.PublicKey as { E: number }).E, 65537);
  assert.match((decoded.PublicKey as { N: string }).N, /^\d{600,}$/);
  assert.throws(
    () => queryJmesPath("x509_decode('not pem')", {}),
    /x509_decode\(\): x509_decode argument: no PEM block found/,
  );
});

test('x509_decode refuses non-RSA keys, as Kyverno does', async () => {
  const keys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'sign',
    'verify',
  ]);
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    { name: 'CN=ec', keys, signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } },
    webcrypto,
  );
  assert.throws(
    () => queryJmesPath('x509_decode(pem)', { pem: cert.toString('pem') }),
    /certificate should use rsa algorithm/,
  );
});
