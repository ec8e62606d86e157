import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isSigilError } from '../../src/core/index.js';
import {
  buildSimpleSigningPayload,
  missingAnnotations,
  parseSimpleSigningPayload,
} from '../../src/formats/index.js';

// Payloads as cosign writes them, quoted from sigstore/cosign (README.md "localhost:5000/tcpconnect"
// example and pkg/cosign/obsolete_test.go): our bytes must be identical.
const COSIGN_README =
  '{"critical":{"identity":{"docker-reference":"localhost:5000/tcpconnect"},"image":{"docker-manifest-digest":"sha256:7a91c50d922925f152fec96ed1d84b7bc6b2079c169d68826f6cf307f22d40e6"},"type":"cosign container image signature"},"optional":null}';
const COSIGN_TEST =
  '{"critical":{"identity":{"docker-reference":"index.docker.io/namespace/image"},"image":{"docker-manifest-digest":"sha256:4aa3054270f7a70b4528f2064ee90961788e1e1518703592ae4463de3b889dec"},"type":"cosign container image signature"},"optional":null}';

test('payload without annotations is byte-identical to cosign', () => {
  assert.equal(
    buildSimpleSigningPayload(
      'localhost:5000/tcpconnect',
      'sha256:7a91c50d922925f152fec96ed1d84b7bc6b2079c169d68826f6cf307f22d40e6',
    ).toString(),
    COSIGN_README,
  );
  assert.equal(
    buildSimpleSigningPayload(
      'index.docker.io/namespace/image',
      'sha256:4aa3054270f7a70b4528f2064ee90961788e1e1518703592ae4463de3b889dec',
    ).toString(),
    COSIGN_TEST,
  );
});

test('annotations are sorted like a Go map and HTML characters escaped like encoding/json', () => {
  const payload = buildSimpleSigningPayload('r.io/a', `sha256:${'a'.repeat(64)}`, { z: '1', a: '<b>&' });
  assert.match(payload.toString(), /"optional":\{"a":"\\u003cb\\u003e\\u0026","z":"1"\}\}$/);
  assert.deepEqual(parseSimpleSigningPayload(payload, 'p').optional, { a: '<b>&', z: '1' });
});

test('parsing rejects payloads that are not cosign signatures, naming the field', () => {
  const cases: Array<[string, RegExp]> = [
    ['not json', /malformed JSON/],
    ['{}', /no "critical"/],
    ['{"critical":{"type":"atomic container signature"}}', /payload type/],
    ['{"critical":{"type":"cosign container image signature","identity":{}}}', /docker-reference/],
    [
      '{"critical":{"type":"cosign container image signature","identity":{"docker-reference":"a"},"image":{"docker-manifest-digest":"sha256:12"}}}',
      /docker-manifest-digest/,
    ],
    [
      '{"critical":{"type":"cosign container image signature","identity":{"docker-reference":"a"},"image":{"docker-manifest-digest":"sha256:' +
        'a'.repeat(64) +
        '"}},"optional":"x"}',
      /optional/,
    ],
  ];
  for (const [text, message] of cases) {
    assert.throws(
      () => parseSimpleSigningPayload(Buffer.from(text), 'payload'),
      (err) => isSigilError(err) && message.test(err.message),
    );
  }
});

test('missing annotations lists each absent or different key', () => {
  const payload = parseSimpleSigningPayload(
    buildSimpleSigningPayload('r/a', `sha256:${'b'.repeat(64)}`, { env: 'prod', n: '1' }),
    'p',
  );
  assert.deepEqual(missingAnnotations(payload, { env: 'prod' }), []);
  assert.deepEqual(missingAnnotations(payload, { env: 'dev', team: 'x' }), ['env=dev', 'team=x']);
});
