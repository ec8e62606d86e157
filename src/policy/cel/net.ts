/**
 * Kubernetes' `ip` and `cidr` CEL types (k8s.io/apiserver/pkg/cel/library/ip.go, cidr.go) on Go's
 * netip semantics: IPv4-mapped IPv6 and zones are refused, as Kubernetes refuses them.
 */
import { isIPv4, isIPv6 } from 'node:net';

export class KubernetesIp {
  constructor(
    readonly family: 4 | 6,
    /** The address as an unsigned integer of 32 or 128 bits. */
    readonly bits: bigint,
  ) {}
  private get width(): number {
    return this.family === 4 ? 32 : 128;
  }
  isUnspecified(): boolean {
    return this.bits === 0n;
  }
  isLoopback(): boolean {
    return this.family === 4 ? this.bits >> 24n === 127n : this.bits === 1n;
  }
  isLinkLocalMulticast(): boolean {
    return this.family === 4 ? this.bits >> 8n === 0xe00000n : this.bits >> 112n === 0xff02n;
  }
  isLinkLocalUnicast(): boolean {
    return this.family === 4 ? this.bits >> 16n === 0xa9fen : this.bits >> 118n === 0x3fan;
  }
  isGlobalUnicast(): boolean {
    if (this.family === 4) {
      const broadcast = this.bits === 0xffffffffn;
      const multicast = this.bits >> 28n === 0xen;
      return (
        !broadcast && !multicast && !this.isUnspecified() && !this.isLoopback() && !this.isLinkLocalUnicast()
      );
    }
    const multicast = this.bits >> 120n === 0xffn;
    return !multicast && !this.isUnspecified() && !this.isLoopback() && !this.isLinkLocalUnicast();
  }
  prefixMask(prefix: number): bigint {
    const all = (1n << BigInt(this.width)) - 1n;
    return (all << BigInt(this.width - prefix)) & all;
  }
  toString(): string {
    if (this.family === 4) return [24n, 16n, 8n, 0n].map((s) => String((this.bits >> s) & 0xffn)).join('.');
    const groups = Array.from({ length: 8 }, (_, i) => Number((this.bits >> BigInt(112 - 16 * i)) & 0xffffn));
    return compressIpv6(groups);
  }
}

export class KubernetesCidr {
  constructor(
    readonly ip: KubernetesIp,
    readonly prefix: number,
  ) {}
  contains(ip: KubernetesIp): boolean {
    const mask = this.ip.prefixMask(this.prefix);
    return ip.family === this.ip.family && (ip.bits & mask) === (this.ip.bits & mask);
  }
  containsCidr(other: KubernetesCidr): boolean {
    return other.prefix >= this.prefix && this.contains(other.ip);
  }
  masked(): KubernetesCidr {
    return new KubernetesCidr(
      new KubernetesIp(this.ip.family, this.ip.bits & this.ip.prefixMask(this.prefix)),
      this.prefix,
    );
  }
  toString(): string {
    return `${this.ip.toString()}/${this.prefix}`;
  }
}

export function ipOf(text: string): KubernetesIp {
  const fail = (): never => {
    throw new Error(`IP Address ${JSON.stringify(text)} parse error during conversion from string`);
  };
  if (isIPv4(text)) {
    // Go's netip refuses leading zeros ("010.0.0.1"), which Node accepts in no case either.
    return new KubernetesIp(
      4,
      text.split('.').reduce((a, o) => (a << 8n) | BigInt(o), 0n),
    );
  }
  if (!isIPv6(text) || text.includes('%') || text.includes('.')) return fail();
  const [head = '', tail] = text.split('::');
  const part = (s: string) => (s === '' ? [] : s.split(':').map((g) => Number.parseInt(g, 16)));
  const left = part(head);
  const right = tail === undefined ? [] : part(tail);
  const groups = [...left, ...Array(8 - left.length - right.length).fill(0), ...right] as number[];
  return new KubernetesIp(
    6,
    groups.reduce((a, g) => (a << 16n) | BigInt(g), 0n),
  );
}

export function cidrOf(text: string): KubernetesCidr {
  const slash = text.lastIndexOf('/');
  const prefixText = text.slice(slash + 1);
  if (slash < 0 || !/^\d{1,3}$/.test(prefixText)) {
    throw new Error(`network address ${JSON.stringify(text)} parse error during conversion from string`);
  }
  const ip = ipOf(text.slice(0, slash));
  const prefix = Number(prefixText);
  if (prefix > (ip.family === 4 ? 32 : 128)) {
    throw new Error(`network address ${JSON.stringify(text)} parse error during conversion from string`);
  }
  return new KubernetesCidr(ip, prefix);
}

/** RFC 5952: the longest run (of two or more) of zero groups becomes `::`. */
function compressIpv6(groups: number[]): string {
  let best = { at: -1, length: 0 };
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.length && j - i >= 2) best = { at: i, length: j - i };
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.at < 0) return hex.join(':');
  return `${hex.slice(0, best.at).join(':')}::${hex.slice(best.at + best.length).join(':')}`;
}
