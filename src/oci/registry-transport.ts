/**
 * One registry call at a time, done properly: the /v2/ URL of a repository (plain HTTP for loopback
 * registries, or after HTTPS failed with --allow-insecure-registry), token and Basic auth challenges,
 * retries with backoff on 429/5xx and network errors, timeouts, and failures mapped to SigilErrors.
 */
import { Authenticator, type Fetch } from './auth.js';
import type { IdleDeadline } from './blob-stream.js';
import { type CredentialStore, DockerConfigCredentials } from './credentials.js';
import { isLoopbackRegistry, type Repository, registryApiHost } from './reference.js';
import { registryError, sigilCause, unreachable } from './registry-errors.js';
import { keepAliveFetch } from './tls-fetch.js';

export interface RegistryClientOptions {
  /** Allow plain HTTP (after HTTPS fails) for registries that are not on this machine. */
  insecure?: boolean;
  timeoutMs?: number;
  /** Further attempts after a 429, 502, 503, 504 or network error. */
  retries?: number;
  /** First backoff delay; doubled on each retry, with jitter. */
  retryDelayMs?: number;
  credentials?: CredentialStore;
  userAgent?: string;
  /** Default: keepAliveFetch (connections kept and reused, HEAD included). */
  fetch?: Fetch;
}

export interface RequestOptions {
  headers?: Record<string, string>;
  /** A stream body is sent once: no retry, no second attempt after an auth challenge. */
  body?: Buffer | ReadableStream<Uint8Array>;
  /** For streamed transfers: a timeout on silence instead of one on the whole request. */
  deadline?: IdleDeadline;
  /** Extra scope beyond this repository's (a mount source). */
  push?: boolean;
  mountFrom?: Repository;
  /** Statuses that are answers, not errors (e.g. 404 for "is it there?"). */
  accept?: number[];
  /** Safe to send again after a network error or 429/5xx. */
  retryable?: boolean;
}

const RETRY_STATUSES = new Set([429, 502, 503, 504]);
const MAX_RETRY_AFTER_MS = 10_000;

export class RegistryTransport {
  readonly timeoutMs: number;
  private readonly retries: number;
  private readonly retryDelayMs: number;
  private readonly fetchFn: Fetch;
  private readonly auth: Authenticator;
  /** Registries found to speak plain HTTP only (with --allow-insecure-registry). */
  private readonly plainHttp = new Set<string>();

  constructor(private readonly options: RegistryClientOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.retries = options.retries ?? 3;
    this.retryDelayMs = options.retryDelayMs ?? 250;
    this.fetchFn = options.fetch ?? keepAliveFetch();
    this.auth = new Authenticator(
      options.credentials ?? new DockerConfigCredentials(),
      this.fetchFn,
      this.timeoutMs,
    );
  }

  /**
   * One registry call: `path` is relative to /v2/<name>/ or an absolute URL (upload locations). Handles
   * auth challenges (one retry with credentials), retries and timeouts, and maps failures to SigilErrors.
   */
  async request(repo: Repository, method: string, path: string, options: RequestOptions): Promise<Response> {
    const scope = [
      `repository:${repo.repository}:${options.push ? 'pull,push' : 'pull'}`,
      ...(options.mountFrom ? [`repository:${options.mountFrom.repository}:pull`] : []),
    ].join(' ');
    let authorization = this.auth.cached(repo.registry, scope);
    const resendable = !(options.body instanceof ReadableStream);
    const retryable = resendable && (options.retryable ?? isIdempotent(method));
    // A streamed body cannot be sent twice: without a second attempt, a challenge is an answer.
    let challenged = !resendable;
    for (let attempt = 0; ; attempt++) {
      const url = /^https?:\/\//.test(path)
        ? path
        : `${this.baseUrl(repo.registry)}/v2/${repo.repository}/${path}`;
      let response: Response;
      try {
        response = await this.send(url, method, options, authorization);
      } catch (err) {
        // A failing body stream (content that did not match its digest) says more than "fetch failed".
        const cause = sigilCause(err);
        if (cause) throw cause;
        if (resendable && this.switchToPlainHttp(repo.registry, url, err)) continue;
        if (retryable && attempt < this.retries) {
          await this.backoff(attempt);
          continue;
        }
        throw unreachable(method, url, err, this.timeoutMs);
      }
      if (response.status === 401 && !challenged) {
        challenged = true;
        authorization = await this.auth.respond(
          repo.registry,
          scope,
          response.headers.get('www-authenticate'),
        );
        if (!authorization) throw await registryError(method, url, response);
        await response.body?.cancel();
        attempt--;
        continue;
      }
      if (RETRY_STATUSES.has(response.status) && retryable && attempt < this.retries) {
        await response.body?.cancel();
        await this.backoff(attempt, response.headers.get('retry-after'));
        continue;
      }
      if (response.ok || options.accept?.includes(response.status)) return response;
      throw await registryError(method, url, response);
    }
  }

  private async send(
    url: string,
    method: string,
    options: RequestOptions,
    authorization: string | undefined,
  ): Promise<Response> {
    const headers: Record<string, string> = {
      'User-Agent': this.options.userAgent ?? 'sigil',
      ...options.headers,
      ...(authorization ? { Authorization: authorization } : {}),
    };
    const signal = options.deadline?.start() ?? AbortSignal.timeout(this.timeoutMs);
    // Node's fetch sends a stream body only in half-duplex mode, which the DOM RequestInit type lacks.
    const init: RequestInit & { duplex?: 'half' } = { method, headers, signal };
    if (options.body) init.body = options.body;
    if (options.body instanceof ReadableStream) init.duplex = 'half';
    return this.fetchFn(url, init);
  }

  private baseUrl(registry: string): string {
    const host = registryApiHost(registry);
    const plain = isLoopbackRegistry(registry) || this.plainHttp.has(registry);
    return `${plain ? 'http' : 'https'}://${host}`;
  }

  /** With --allow-insecure-registry, a registry that fails over HTTPS is tried once over plain HTTP. */
  private switchToPlainHttp(registry: string, url: string, err: unknown): boolean {
    if (!this.options.insecure || this.plainHttp.has(registry) || !url.startsWith('https:')) return false;
    if (err instanceof Error && err.name === 'TimeoutError') return false;
    this.plainHttp.add(registry);
    return true;
  }

  private async backoff(attempt: number, retryAfter?: string | null): Promise<void> {
    const fromHeader = retryAfter ? retryAfterMs(retryAfter) : undefined;
    const exponential = this.retryDelayMs * 2 ** attempt;
    const delay = fromHeader ?? exponential * (0.5 + Math.random() / 2);
    await new Promise((resolve) => setTimeout(resolve, Math.min(delay, MAX_RETRY_AFTER_MS)));
  }
}

function isIdempotent(method: string): boolean {
  return method === 'GET' || method === 'HEAD' || method === 'PUT' || method === 'DELETE';
}

function retryAfterMs(value: string): number | undefined {
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
