/** Kubernetes' `quantity` CEL type (k8s.io/apiserver/pkg/cel/library/quantity.go) over sigil's quantity parser. */
import { formatQuantity, parseQuantity } from '../conditions/quantity.js';

export class KubernetesQuantity {
  constructor(
    readonly value: number,
    readonly suffix: string,
  ) {}
  isInteger(): boolean {
    return Number.isInteger(this.value) && Math.abs(this.value) <= Number.MAX_SAFE_INTEGER;
  }
  asInteger(): bigint {
    if (!this.isInteger()) throw new Error('cannot convert value to integer');
    return BigInt(this.value);
  }
  add(other: KubernetesQuantity): KubernetesQuantity {
    return new KubernetesQuantity(this.value + other.value, this.suffix || other.suffix);
  }
  sub(other: KubernetesQuantity): KubernetesQuantity {
    return new KubernetesQuantity(this.value - other.value, this.suffix || other.suffix);
  }
  compareTo(other: KubernetesQuantity): number {
    return Math.sign(this.value - other.value);
  }
  toString(): string {
    return formatQuantity(this.value, this.suffix);
  }
}

export function quantityOf(text: string): KubernetesQuantity {
  const parsed = parseQuantity(text);
  if (!parsed) throw new Error(`invalid quantity: ${JSON.stringify(text)}`);
  return new KubernetesQuantity(parsed.value, parsed.suffix);
}
