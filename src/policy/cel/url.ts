/**
 * Kubernetes' `url` CEL type (k8s.io/apiserver/pkg/cel/library/urls.go): Go's url.ParseRequestURI, so an
 * absolute URL or an absolute path, no fragments; getters return what Go's url.URL holds.
 */
export class KubernetesUrl {
  constructor(
    readonly scheme: string,
    readonly host: string,
    readonly escapedPath: string,
    private readonly rawQuery: string,
  ) {}
  get hostname(): string {
    const host = this.host.startsWith('[') ? this.host.slice(1, this.host.indexOf(']')) : this.host;
    return this.host.startsWith('[') ? host : (host.split(':')[0] ?? '');
  }
  get port(): string {
    const afterBracket = this.host.startsWith('[') ? this.host.slice(this.host.indexOf(']') + 1) : this.host;
    const colon = afterBracket.lastIndexOf(':');
    return colon < 0 ? '' : afterBracket.slice(colon + 1);
  }
  query(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const [k, v] of new URLSearchParams(this.rawQuery)) out.set(k, [...(out.get(k) ?? []), v]);
    return out;
  }
}

const REQUEST_URI = /^(?:([a-zA-Z][a-zA-Z0-9+.-]*):)?(?:\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?$/;

export function urlOf(text: string): KubernetesUrl {
  const match = REQUEST_URI.exec(text);
  const [, scheme = '', host = '', path = '', query = ''] = match ?? [];
  // ParseRequestURI: an absolute URI or an absolute path; fragments are refused.
  if (!match || text.includes('#') || (!scheme && !path.startsWith('/'))) {
    throw new Error(`URL parse error during conversion from string: ${JSON.stringify(text)}`);
  }
  return new KubernetesUrl(scheme, host, path, query);
}
