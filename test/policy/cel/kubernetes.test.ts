/**
 * The Kubernetes CEL libraries as Kubernetes defines them (k8s.io/apiserver/pkg/cel/library: regex, lists,
 * urls, ip, cidr, quantity; cel-go's strings extension), Kyverno's image library, `matches` with Go's RE2,
 * and what fails an expression when its policy loads: syntax and type errors with their column, patterns RE2
 * refuses, and comprehensions nested past the cost limit.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileCel } from '../../../src/policy/cel/engine.js';
import { policyEnvironment } from '../../../src/policy/kyverno-cel/environment.js';

const run = (expression: string, variables: Record<string, unknown> = {}) =>
  Promise.resolve().then(() => compileCel(policyEnvironment(), expression, 'test').evaluate(variables));

describe('Kubernetes CEL libraries', () => {
  it("matches, find and findAll read patterns as Go's RE2", async () => {
    assert.equal(await run("'abc'.matches('^[[:alpha:]]+$')"), true, 'POSIX classes are RE2 syntax');
    assert.equal(await run("'abc'.matches('b')"), true, 'unanchored, as Go MatchString');
    assert.equal(await run("['abc'].all(s, s.matches('^[[:alpha:]]+$'))"), true, 'inside a macro too');
    assert.equal(await run("'abc123'.find('[0-9]+')"), '123');
    assert.equal(await run("'abc'.find('[0-9]+')"), '');
    assert.deepEqual(await run("'a1b22c333'.findAll('[0-9]+')"), ['1', '22', '333']);
    assert.deepEqual(await run("'a1b22c333'.findAll('[0-9]+', 2)"), ['1', '22']);
    assert.throws(
      () => compileCel(policyEnvironment(), "'abc'.matches('a(?=b)')", 'spec.validations[0].expression'),
      /spec\.validations\[0\]\.expression: invalid regular expression/,
    );
  });

  it('lists: isSorted, sum, min, max, indexOf, lastIndexOf', async () => {
    assert.equal(await run('[1, 2, 3].isSorted()'), true);
    assert.equal(await run("['b', 'a'].isSorted()"), false);
    assert.equal(await run('[1, 2, 3].sum()'), 6n);
    assert.equal(await run('[1.5, 2.5].sum()'), 4);
    assert.equal(await run('[3, 1, 2].min()'), 1n);
    assert.equal(await run('[3, 1, 2].max()'), 3n);
    assert.equal(await run('[1, 2, 1].indexOf(1)'), 0n);
    assert.equal(await run('[1, 2, 1].lastIndexOf(1)'), 2n);
    assert.equal(await run('[1, 2].indexOf(5)'), -1n);
    await assert.rejects(run('[].min()'), /empty list/);
  });

  it('strings extension: charAt, replace, reverse beside the built-ins', async () => {
    assert.equal(await run("'hello'.charAt(1)"), 'e');
    assert.equal(await run("'hello'.charAt(5)"), '');
    assert.equal(await run("'a-b-c'.replace('-', '+')"), 'a+b+c');
    assert.equal(await run("'a-b-c'.replace('-', '+', 1)"), 'a+b-c');
    assert.equal(await run("'abc'.reverse()"), 'cba');
    assert.equal(await run("'A,B'.lowerAscii().split(',')[1]"), 'b');
  });

  it('url: ParseRequestURI and its getters', async () => {
    assert.equal(await run("url('https://example.com:8443/a/b?x=1&x=2').getScheme()"), 'https');
    assert.equal(await run("url('https://example.com:8443/a/b').getHost()"), 'example.com:8443');
    assert.equal(await run("url('https://example.com:8443/a/b').getHostname()"), 'example.com');
    assert.equal(await run("url('https://example.com:8443/a/b').getPort()"), '8443');
    assert.equal(await run("url('https://[::1]:80/').getHostname()"), '::1');
    assert.equal(await run("url('/absolute/path').getEscapedPath()"), '/absolute/path');
    assert.deepEqual(await run("url('https://e.com/?x=1&x=2').getQuery()"), new Map([['x', ['1', '2']]]));
    assert.equal(await run("isURL('relative/path')"), false);
    assert.equal(await run("isURL('https://e.com/#frag')"), false);
  });

  it('ip and cidr', async () => {
    assert.equal(await run("ip('10.0.0.1').family()"), 4n);
    assert.equal(await run("ip('::1').isLoopback()"), true);
    assert.equal(await run("ip('169.254.1.1').isLinkLocalUnicast()"), true);
    assert.equal(await run("ip('8.8.8.8').isGlobalUnicast()"), true);
    assert.equal(await run("isIP('1.2.3')"), false);
    assert.equal(await run("isIP('fe80::1%eth0')"), false, 'zones are refused, as Kubernetes does');
    assert.equal(await run("cidr('10.0.0.0/8').containsIP('10.1.2.3')"), true);
    assert.equal(await run("cidr('10.0.0.0/8').containsIP(ip('11.0.0.1'))"), false);
    assert.equal(await run("cidr('10.0.0.0/8').containsCIDR('10.1.0.0/16')"), true);
    assert.equal(await run("cidr('10.0.0.0/16').containsCIDR('10.0.0.0/8')"), false);
    assert.equal(await run("cidr('2001:db8::1/32').prefixLength()"), 32n);
    assert.equal(await run("string(cidr('10.1.2.3/8').masked())"), '10.0.0.0/8');
    assert.equal(await run("string(cidr('2001:db8:0:0:1::1/32').masked())"), '2001:db8::/32');
    assert.equal(await run("isCIDR('10.0.0.0/33')"), false);
  });

  it('quantity', async () => {
    assert.equal(await run("quantity('1Gi').isGreaterThan(quantity('1000Mi'))"), true);
    assert.equal(await run("quantity('500m').isLessThan(quantity('1'))"), true);
    assert.equal(await run("quantity('2k').asInteger()"), 2000n);
    assert.equal(await run("quantity('1.5').isInteger()"), false);
    assert.equal(await run("quantity('1').add(quantity('500m')).compareTo(quantity('1500m'))"), 0n);
    assert.equal(await run("isQuantity('1Xi')"), false);
  });

  it("Kyverno's image library", async () => {
    const img = (s: string, accessor: string) => run(`image('${s}').${accessor}()`);
    assert.equal(await img('nginx', 'registry'), 'index.docker.io');
    assert.equal(await img('nginx', 'repository'), 'library/nginx');
    assert.equal(await img('nginx', 'tag'), 'latest');
    assert.equal(await img('ghcr.io/org/app:v1', 'identifier'), 'v1');
    const digest = `sha256:${'a'.repeat(64)}`;
    assert.equal(await img(`ghcr.io/org/app:v1@${digest}`, 'digest'), digest);
    assert.equal(await img(`ghcr.io/org/app:v1@${digest}`, 'tag'), '', 'a digest wins over a tag');
    assert.equal(await img(`ghcr.io/org/app@${digest}`, 'containsDigest'), true);
    assert.equal(await run("isImage('not an image')"), false);
  });

  it('the variables of a policy, with optional field selection and cel.bind', async () => {
    const object = { spec: { containers: [{ image: 'a' }, { image: 'b' }] } };
    assert.deepEqual(await run('object.spec.?initContainers.orValue([]).map(c, c.image)', { object }), []);
    assert.deepEqual(await run('object.spec.containers.map(c, c.image)', { object }), ['a', 'b']);
    assert.equal(await run('cel.bind(n, size(object.spec.containers), n * 2)', { object }), 4n);
  });
});

describe('what fails a policy when it loads', () => {
  const compile = (expression: string, types: string[] = []) =>
    compileCel(policyEnvironment(), expression, 'p.yaml: document 1: spec.validations[0].expression', types);

  it('a syntax error names the field and the column', () => {
    assert.throws(
      () => compile('images.containers.all(i, i == )'),
      /^SigilError: p\.yaml: document 1: spec\.validations\[0\]\.expression: column \d+: /,
    );
  });

  it('an unknown variable or a type mismatch, with its column', () => {
    assert.throws(() => compile('foo == 1'), /column 1: Unknown variable: foo/);
    assert.throws(() => compile("images.containers.size() == 'a'"), /column \d+: no such overload/);
  });

  it('a result of the wrong type', () => {
    assert.throws(() => compile("'text'", ['bool']), /output is expected to be of type bool, not string/);
  });

  it('comprehensions nested past the cost limit', () => {
    const deep = 'object.a.all(a, object.b.all(b, object.c.all(c, object.d.all(d, true))))';
    assert.throws(() => compile(deep), /comprehensions nest 4 deep, more than the 3/);
    assert.doesNotThrow(() => compile('object.a.all(a, object.b.all(b, object.c.all(c, true)))'));
  });
});
