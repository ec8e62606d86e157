/**
 * The Kubernetes CEL libraries Kyverno's image policies are compiled with (k8s.io/apiserver/pkg/cel/library
 * and cel-go's strings extension), as Kubernetes defines them: regex `find`/`findAll` and `matches` with Go's
 * RE2, list helpers, `url`, `ip`/`cidr` and `quantity`. Functions cel-js already has (most of the strings
 * extension) are not redefined.
 */
import { compileGoRegexp } from '../../core/index.js';
import type { CelEnvironment } from './engine.js';
import { cidrOf, ipOf, KubernetesCidr, KubernetesIp } from './net.js';
import { KubernetesQuantity, quantityOf } from './quantity.js';
import { KubernetesUrl, urlOf } from './url.js';

const regex = (pattern: string) => compileGoRegexp(pattern, 'CEL regular expression');

export function registerKubernetesLibraries(env: CelEnvironment): void {
  env
    .registerFunction('string.goMatches(string): bool', (s: string, p: string) => regex(p).test(s))
    .registerFunction('goMatches(string, string): bool', (s: string, p: string) => regex(p).test(s))
    .registerFunction('string.find(string): string', (s: string, p: string) => regex(p).find(s)?.text ?? '')
    .registerFunction('string.findAll(string): list<string>', (s: string, p: string) =>
      regex(p)
        .findAll(s)
        .map((m) => m.text),
    )
    .registerFunction('string.findAll(string, int): list<string>', (s: string, p: string, n: bigint) =>
      regex(p)
        .findAll(s, Number(n))
        .map((m) => m.text),
    )
    // cel-go's strings extension (version 2) beyond what cel-js has.
    .registerFunction('string.charAt(int): string', (s: string, i: bigint) => {
      const chars = [...s];
      if (i < 0n || i > BigInt(chars.length)) throw new Error(`index out of range: ${i}`);
      return chars[Number(i)] ?? '';
    })
    .registerFunction('string.replace(string, string): string', (s: string, a: string, b: string) =>
      s.split(a).join(b),
    )
    .registerFunction(
      'string.replace(string, string, int): string',
      (s: string, a: string, b: string, n: bigint) => replaceN(s, a, b, Number(n)),
    )
    .registerFunction('string.reverse(): string', (s: string) => [...s].reverse().join(''))
    // Kubernetes' lists library.
    .registerFunction('list.isSorted(): bool', (l: unknown[]) =>
      l.every((v, i) => i === 0 || compare(l[i - 1], v) <= 0),
    )
    .registerFunction('list.sum(): dyn', (l: unknown[]) => sum(l))
    .registerFunction('list.min(): dyn', (l: unknown[]) => extreme(l, -1))
    .registerFunction('list.max(): dyn', (l: unknown[]) => extreme(l, 1))
    .registerFunction('list.indexOf(dyn): int', (l: unknown[], v: unknown) =>
      BigInt(l.findIndex((x) => same(x, v))),
    )
    .registerFunction('list.lastIndexOf(dyn): int', (l: unknown[], v: unknown) =>
      BigInt(l.findLastIndex((x) => same(x, v))),
    );
  registerUrl(env);
  registerNet(env);
  registerQuantity(env);
}

function replaceN(s: string, a: string, b: string, n: number): string {
  if (n < 0) return s.split(a).join(b);
  let out = s;
  let from = 0;
  for (let i = 0; i < n; i++) {
    const at = out.indexOf(a, from);
    if (at < 0) break;
    out = out.slice(0, at) + b + out.slice(at + a.length);
    from = at + b.length;
  }
  return out;
}

function compare(a: unknown, b: unknown): number {
  if (typeof a === typeof b && (typeof a === 'string' || typeof a === 'bigint' || typeof a === 'number')) {
    return a < (b as typeof a) ? -1 : a > (b as typeof a) ? 1 : 0;
  }
  if (a instanceof KubernetesQuantity && b instanceof KubernetesQuantity) return a.compareTo(b);
  throw new Error(`no such overload: compare ${typeof a} with ${typeof b}`);
}

function same(a: unknown, b: unknown): boolean {
  return typeof a === typeof b ? a === b : false;
}

function sum(l: unknown[]): unknown {
  if (l.length === 0) return 0n;
  if (l.every((v) => typeof v === 'bigint')) return (l as bigint[]).reduce((a, b) => a + b, 0n);
  if (l.every((v) => typeof v === 'number')) return (l as number[]).reduce((a, b) => a + b, 0);
  if (l.every((v) => v instanceof KubernetesQuantity)) {
    return (l as KubernetesQuantity[]).reduce((a, b) => a.add(b));
  }
  throw new Error('sum: the list must hold ints, doubles or quantities of one kind');
}

function extreme(l: unknown[], sign: 1 | -1): unknown {
  if (l.length === 0) throw new Error(`${sign > 0 ? 'max' : 'min'} called on an empty list`);
  return l.reduce((best, v) => (compare(v, best) * sign > 0 ? v : best));
}

function registerUrl(env: CelEnvironment): void {
  env
    .registerType('kubernetes.URL', KubernetesUrl)
    .registerFunction('url(string): kubernetes.URL', (s: string) => urlOf(s))
    .registerFunction('isURL(string): bool', (s: string) => {
      try {
        urlOf(s);
        return true;
      } catch {
        return false;
      }
    })
    .registerFunction('kubernetes.URL.getScheme(): string', (u: KubernetesUrl) => u.scheme)
    .registerFunction('kubernetes.URL.getHost(): string', (u: KubernetesUrl) => u.host)
    .registerFunction('kubernetes.URL.getHostname(): string', (u: KubernetesUrl) => u.hostname)
    .registerFunction('kubernetes.URL.getPort(): string', (u: KubernetesUrl) => u.port)
    .registerFunction('kubernetes.URL.getEscapedPath(): string', (u: KubernetesUrl) => u.escapedPath)
    .registerFunction('kubernetes.URL.getQuery(): map<string, list<string>>', (u: KubernetesUrl) =>
      u.query(),
    );
}

function registerNet(env: CelEnvironment): void {
  const valid = (parse: (s: string) => unknown) => (s: string) => {
    try {
      parse(s);
      return true;
    } catch {
      return false;
    }
  };
  env
    .registerType('net.IP', KubernetesIp)
    .registerType('net.CIDR', KubernetesCidr)
    .registerFunction('ip(string): net.IP', (s: string) => ipOf(s))
    .registerFunction('isIP(string): bool', valid(ipOf))
    .registerFunction('net.IP.family(): int', (ip: KubernetesIp) => BigInt(ip.family))
    .registerFunction('net.IP.isUnspecified(): bool', (ip: KubernetesIp) => ip.isUnspecified())
    .registerFunction('net.IP.isLoopback(): bool', (ip: KubernetesIp) => ip.isLoopback())
    .registerFunction('net.IP.isLinkLocalMulticast(): bool', (ip: KubernetesIp) => ip.isLinkLocalMulticast())
    .registerFunction('net.IP.isLinkLocalUnicast(): bool', (ip: KubernetesIp) => ip.isLinkLocalUnicast())
    .registerFunction('net.IP.isGlobalUnicast(): bool', (ip: KubernetesIp) => ip.isGlobalUnicast())
    .registerFunction('string(net.IP): string', (ip: KubernetesIp) => ip.toString())
    .registerFunction('cidr(string): net.CIDR', (s: string) => cidrOf(s))
    .registerFunction('isCIDR(string): bool', valid(cidrOf))
    .registerFunction('net.CIDR.containsIP(string): bool', (c: KubernetesCidr, s: string) =>
      c.contains(ipOf(s)),
    )
    .registerFunction('net.CIDR.containsIP(net.IP): bool', (c: KubernetesCidr, ip: KubernetesIp) =>
      c.contains(ip),
    )
    .registerFunction('net.CIDR.containsCIDR(string): bool', (c: KubernetesCidr, s: string) =>
      c.containsCidr(cidrOf(s)),
    )
    .registerFunction('net.CIDR.containsCIDR(net.CIDR): bool', (c: KubernetesCidr, o: KubernetesCidr) =>
      c.containsCidr(o),
    )
    .registerFunction('net.CIDR.ip(): net.IP', (c: KubernetesCidr) => c.ip)
    .registerFunction('net.CIDR.masked(): net.CIDR', (c: KubernetesCidr) => c.masked())
    .registerFunction('net.CIDR.prefixLength(): int', (c: KubernetesCidr) => BigInt(c.prefix))
    .registerFunction('string(net.CIDR): string', (c: KubernetesCidr) => c.toString());
}

function registerQuantity(env: CelEnvironment): void {
  const q = 'kubernetes.Quantity';
  env
    .registerType(q, KubernetesQuantity)
    .registerFunction(`quantity(string): ${q}`, (s: string) => quantityOf(s))
    .registerFunction('isQuantity(string): bool', (s: string) => {
      try {
        quantityOf(s);
        return true;
      } catch {
        return false;
      }
    })
    .registerFunction(`${q}.isInteger(): bool`, (a: KubernetesQuantity) => a.isInteger())
    .registerFunction(`${q}.asInteger(): int`, (a: KubernetesQuantity) => a.asInteger())
    .registerFunction(`${q}.asApproximateFloat(): double`, (a: KubernetesQuantity) => a.value)
    .registerFunction(`${q}.sign(): int`, (a: KubernetesQuantity) => BigInt(Math.sign(a.value)))
    .registerFunction(`${q}.add(${q}): ${q}`, (a: KubernetesQuantity, b: KubernetesQuantity) => a.add(b))
    .registerFunction(`${q}.add(int): ${q}`, (a: KubernetesQuantity, b: bigint) =>
      a.add(quantityOf(String(b))),
    )
    .registerFunction(`${q}.sub(${q}): ${q}`, (a: KubernetesQuantity, b: KubernetesQuantity) => a.sub(b))
    .registerFunction(`${q}.sub(int): ${q}`, (a: KubernetesQuantity, b: bigint) =>
      a.sub(quantityOf(String(b))),
    )
    .registerFunction(`${q}.compareTo(${q}): int`, (a: KubernetesQuantity, b: KubernetesQuantity) =>
      BigInt(a.compareTo(b)),
    )
    .registerFunction(
      `${q}.isGreaterThan(${q}): bool`,
      (a: KubernetesQuantity, b: KubernetesQuantity) => a.compareTo(b) > 0,
    )
    .registerFunction(
      `${q}.isLessThan(${q}): bool`,
      (a: KubernetesQuantity, b: KubernetesQuantity) => a.compareTo(b) < 0,
    );
}
