/**
 * The few Kubernetes API calls sigil makes: read a Secret (registry credentials, cosign keys), create or
 * replace a Secret (`generate-key-pair k8s://`), read a Namespace (its labels, for namespaceSelector), and
 * server-side apply a report (PATCH with application/apply-patch+yaml as field manager `sigil`, forcing
 * ownership of the fields it sets). Error answers are Kubernetes Status objects; they become one
 * KubeApiError line with the API's own reason.
 */
import { callService, type ErrorCode, isRecord, SigilError } from '../core/index.js';
import type { KubeConnection } from './config.js';
import { type Transport, tlsTransport } from './transport.js';

/** The part of an object this client reads; applied objects carry their other fields as they are. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
  };
}

export interface KubeSecret extends KubeObject {
  type?: string;
  /** Values are base64, as the API serves them. */
  data?: Record<string, string>;
  immutable?: boolean;
}

/** An error answer of the API: the one-line SigilError, plus its status and words for callers that rephrase it. */
export class KubeApiError extends SigilError {
  constructor(
    code: ErrorCode,
    message: string,
    hint: string | undefined,
    /** The HTTP status, e.g. 404. */
    readonly status: number,
    /** The Status object's reason and message, e.g. `NotFound: secrets "x" not found`. */
    readonly detail: string,
  ) {
    super(code, message, hint);
  }
}

export const FIELD_MANAGER = 'sigil';
const TIMEOUT_MS = 10_000;

/** REST paths of the kinds this client applies: group/version and plural resource name. */
const APPLIED_KINDS: Record<string, { base: string; plural: string; namespaced: boolean }> = {
  PolicyReport: { base: '/apis/wgpolicyk8s.io/v1alpha2', plural: 'policyreports', namespaced: true },
  ClusterPolicyReport: {
    base: '/apis/wgpolicyk8s.io/v1alpha2',
    plural: 'clusterpolicyreports',
    namespaced: false,
  },
};

/** What to do about an answer, by HTTP status. */
const STATUS_ERRORS: Record<number, { code: ErrorCode; hint?: string }> = {
  401: { code: 'BAD_TOKEN', hint: 'the API server rejected the service account token or kubeconfig user' },
  403: {
    code: 'SERVICE_ERROR',
    hint: "grant this verb to the caller in RBAC (the controller's service account, or the kubeconfig user)",
  },
  404: { code: 'NOT_FOUND' },
  409: { code: 'SERVICE_ERROR' },
  422: { code: 'BAD_INPUT' },
};

export class KubeClient {
  private readonly transport: Transport;

  constructor(readonly connection: KubeConnection) {
    this.transport = tlsTransport(connection.tls);
  }

  get namespace(): string {
    return this.connection.namespace;
  }

  async getSecret(namespace: string, name: string): Promise<KubeSecret> {
    return (await this.call('GET', `${secretsPath(namespace)}/${seg(name)}`)) as KubeSecret;
  }

  /** Creates a Secret in its metadata's namespace; an existing one of that name is a 409 AlreadyExists. */
  async createSecret(secret: KubeSecret): Promise<KubeSecret> {
    return (await this.call('POST', secretsPath(secretNamespace(secret)), secret)) as KubeSecret;
  }

  /**
   * Replaces a Secret (PUT): with metadata.resourceVersion, only if nobody changed it since it was read
   * (409 Conflict otherwise). An immutable Secret's data cannot change (422 Invalid).
   */
  async replaceSecret(secret: KubeSecret): Promise<KubeSecret> {
    const path = `${secretsPath(secretNamespace(secret))}/${seg(secret.metadata.name)}`;
    return (await this.call('PUT', path, secret)) as KubeSecret;
  }

  async getNamespace(name: string): Promise<KubeObject> {
    return (await this.call('GET', `/api/v1/namespaces/${seg(name)}`)) as KubeObject;
  }

  /** Server-side apply: creates the object or takes over the fields it sets, whoever set them before. */
  async apply(object: KubeObject): Promise<KubeObject> {
    const kind = APPLIED_KINDS[object.kind];
    if (!kind) throw new SigilError('UNSUPPORTED', `applying ${object.kind} objects is not supported`);
    const { name, namespace } = object.metadata;
    if (kind.namespaced && !namespace) {
      throw new SigilError('BAD_INPUT', `${object.kind} ${name} needs a namespace`);
    }
    const scope = kind.namespaced ? `/namespaces/${seg(namespace ?? '')}` : '';
    const path = `${kind.base}${scope}/${kind.plural}/${seg(name)}?fieldManager=${FIELD_MANAGER}&force=true`;
    // JSON is YAML, so the apply patch can be sent as JSON under the apply-patch media type.
    return (await this.call('PATCH', path, object, 'application/apply-patch+yaml')) as KubeObject;
  }

  private async call(method: string, path: string, body?: unknown, contentType?: string): Promise<unknown> {
    const url = `${this.connection.server}${path}`;
    const token = this.connection.token?.();
    const response = await callService(method, url, {
      ...(body === undefined ? {} : { body }),
      headers: {
        ...(token ? { Authorization: `Bearer ${token}` } : {}),
        ...(contentType ? { 'Content-Type': contentType } : {}),
      },
      timeoutMs: TIMEOUT_MS,
      accept: 'any',
      context: 'Kubernetes API',
      unreachableHint: `is the API server of ${this.connection.source} reachable?`,
      fetch: this.transport,
    });
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (response.ok && isRecord(json)) return json;
    const where = `Kubernetes API: ${method} ${path.split('?')[0]}`;
    if (response.ok) throw new SigilError('SERVICE_ERROR', `${where}: the answer is not a JSON object`);
    const status = isRecord(json) && json.kind === 'Status' ? json : {};
    const reason = typeof status.reason === 'string' ? `${status.reason}: ` : '';
    const message = typeof status.message === 'string' ? status.message : text.slice(0, 200);
    const known = STATUS_ERRORS[response.status];
    const detail = `${reason}${message}`;
    throw new KubeApiError(
      known?.code ?? 'SERVICE_ERROR',
      `${where}: ${response.status} ${detail}`,
      known?.hint,
      response.status,
      detail,
    );
  }
}

/** A name as one path segment. */
function seg(name: string): string {
  return encodeURIComponent(name);
}

function secretsPath(namespace: string): string {
  return `/api/v1/namespaces/${seg(namespace)}/secrets`;
}

function secretNamespace(secret: KubeSecret): string {
  const namespace = secret.metadata.namespace;
  if (!namespace) throw new SigilError('BAD_INPUT', `Secret ${secret.metadata.name} needs a namespace`);
  return namespace;
}
