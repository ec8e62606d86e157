import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSigilError } from '../../src/core/index.js';
import {
  formatReference,
  isLoopbackRegistry,
  parseReference,
  repositoryName,
} from '../../src/oci/reference.js';

const HEX = 'a'.repeat(64);
const DIGEST = `sha256:${HEX}`;

// [input, registry, repository, tag, digest]
const VALID: [string, string, string, string | undefined, string | undefined][] = [
  ['alpine', 'index.docker.io', 'library/alpine', undefined, undefined],
  ['alpine:3.20', 'index.docker.io', 'library/alpine', '3.20', undefined],
  ['docker.io/alpine', 'index.docker.io', 'library/alpine', undefined, undefined],
  ['index.docker.io/library/alpine', 'index.docker.io', 'library/alpine', undefined, undefined],
  ['bitnami/nginx:1.25', 'index.docker.io', 'bitnami/nginx', '1.25', undefined],
  ['ghcr.io/org/team/app:v1.2.3', 'ghcr.io', 'org/team/app', 'v1.2.3', undefined],
  ['localhost/app', 'localhost', 'app', undefined, undefined],
  ['localhost:5000/app:dev', 'localhost:5000', 'app', 'dev', undefined],
  ['127.0.0.1:5000/a/b', '127.0.0.1:5000', 'a/b', undefined, undefined],
  ['[::1]:5000/app:1', '[::1]:5000', 'app', '1', undefined],
  ['[2001:db8::1]/app', '[2001:db8::1]', 'app', undefined, undefined],
  // distribution takes an upper-case first component for a host, not a Docker Hub namespace
  ['Uppercase/app', 'Uppercase', 'app', undefined, undefined],
  ['Registry.Example.com/app', 'Registry.Example.com', 'app', undefined, undefined],
  [`alpine@${DIGEST}`, 'index.docker.io', 'library/alpine', undefined, DIGEST],
  [`reg.io:443/app:v1@${DIGEST}`, 'reg.io:443', 'app', 'v1', DIGEST],
  ['a/b__c/d-e.f_g', 'index.docker.io', 'a/b__c/d-e.f_g', undefined, undefined],
  ['a/b---c', 'index.docker.io', 'a/b---c', undefined, undefined],
  [`x:${'T'.repeat(128)}`, 'index.docker.io', 'library/x', 'T'.repeat(128), undefined],
  ['reg.io/app:_under', 'reg.io', 'app', '_under', undefined],
];

// [input, fragment of the error]
const INVALID: [string, string][] = [
  ['', 'empty'],
  ['Alpine', 'lower-case'],
  ['reg.io/App', 'lower-case'],
  ['app:', 'tag'],
  ['app:-x', 'tag'],
  ['app:.x', 'tag'],
  [`app:${'t'.repeat(129)}`, 'tag'],
  ['app@sha256:abc', 'digest'],
  [`app@md5:${HEX}`, 'sha256'],
  [`app@sha256:${'A'.repeat(64)}`, 'lower-case'],
  ['reg.io/', 'repository'],
  ['/app', 'repository'],
  ['reg.io//app', 'repository'],
  ['a/b_', 'repository'],
  ['a/-b', 'repository'],
  ['a/b..c', 'repository'],
  ['a/b___c', 'repository'],
  ['-reg.io/app', 'registry'],
  ['reg.io:port/app', 'registry'],
  ['[::1/app', 'registry'],
  ['app name', 'whitespace'],
  [HEX, 'image ID'],
  [`reg.io/${'a'.repeat(260)}`, '255'],
];

describe('image references', () => {
  for (const [input, registry, repository, tag, digest] of VALID) {
    it(`parses ${input.length > 60 ? `${input.slice(0, 60)}…` : input}`, () => {
      const ref = parseReference(input);
      assert.deepEqual(
        { registry: ref.registry, repository: ref.repository, tag: ref.tag, digest: ref.digest },
        { registry, repository, tag, digest },
      );
    });
  }
  for (const [input, fragment] of INVALID) {
    it(`rejects ${JSON.stringify(input.length > 60 ? `${input.slice(0, 60)}…` : input)}`, () => {
      assert.throws(
        () => parseReference(input),
        (err) =>
          isSigilError(err, 'BAD_REFERENCE') && err.message.includes(fragment) && !err.message.includes('\n'),
      );
    });
  }

  it('keeps a parsed reference frozen, and refuses a bad one every time it is asked', () => {
    const first = parseReference('reg.io/team/app:v1');
    assert.equal(parseReference('reg.io/team/app:v1'), first, 'the same answer');
    assert.ok(Object.isFrozen(first), 'no caller can change what the next one gets');
    assert.throws(() => {
      (first as { tag?: string }).tag = 'v2';
    }, TypeError);
    assert.equal(parseReference('reg.io/team/app:v1').tag, 'v1');
    for (let i = 0; i < 2; i++) assert.throws(() => parseReference('Reg.io/Team/App'), /lower-case/);
  });

  it('formats names the way cosign writes docker-reference', () => {
    assert.equal(repositoryName(parseReference('alpine')), 'index.docker.io/library/alpine');
    assert.equal(formatReference(parseReference('alpine')), 'index.docker.io/library/alpine:latest');
    assert.equal(formatReference(parseReference(`reg.io/a@${DIGEST}`)), `reg.io/a@${DIGEST}`);
    assert.equal(formatReference(parseReference(`reg.io/a:v@${DIGEST}`)), `reg.io/a:v@${DIGEST}`);
  });

  it('knows which registries are on this machine', () => {
    for (const r of [
      'localhost',
      'localhost:5000',
      '127.0.0.1:80',
      '127.1.2.3',
      '[::1]:5000',
      'x.localhost:1',
    ]) {
      assert.equal(isLoopbackRegistry(r), true, r);
    }
    for (const r of ['index.docker.io', '10.0.0.1:5000', 'localhost.example.com', '[2001:db8::1]']) {
      assert.equal(isLoopbackRegistry(r), false, r);
    }
  });
});
