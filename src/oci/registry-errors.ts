/** How a failed registry call is told: one SigilError with the method, the URL and the registry's reason. */
import { isRecord, SigilError } from '../core/index.js';

/** The SigilError that made a request fail, when there is one (fetch wraps body errors in `cause`). */
export function sigilCause(err: unknown): SigilError | undefined {
  if (err instanceof SigilError) return err;
  const cause = err instanceof Error ? err.cause : undefined;
  return cause instanceof SigilError ? cause : undefined;
}

export function unreachable(method: string, url: string, err: unknown, timeoutMs: number): SigilError {
  const error = err instanceof Error ? err : new Error(String(err));
  if (error.name === 'TimeoutError' || error.name === 'AbortError') {
    return new SigilError('REGISTRY_UNREACHABLE', `${method} ${url}: no answer within ${timeoutMs / 1000} s`);
  }
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const reason = cause?.code ?? cause?.message ?? error.message;
  return new SigilError(
    'REGISTRY_UNREACHABLE',
    `${method} ${url}: ${reason}`,
    'is the registry running and the address right?',
  );
}

export async function registryError(method: string, url: string, response: Response): Promise<SigilError> {
  const text = method === 'HEAD' ? '' : await response.text().catch(() => '');
  const detail = registryErrorDetail(text);
  const message = `${method} ${url}: ${response.status}${detail ? ` ${detail}` : ` ${response.statusText}`}`;
  switch (response.status) {
    case 401:
      return new SigilError(
        'REGISTRY_UNAUTHORIZED',
        message,
        'log in with docker login, or set REGISTRY_AUTH_FILE',
      );
    case 403:
      return new SigilError('REGISTRY_DENIED', message);
    case 404:
      return new SigilError('REGISTRY_NOT_FOUND', message);
    default:
      return new SigilError('REGISTRY_ERROR', message);
  }
}

/** `CODE message` of the first entry of a distribution error body, or undefined when there is none. */
function registryErrorDetail(text: string): string | undefined {
  try {
    const body: unknown = JSON.parse(text);
    const first = isRecord(body) && Array.isArray(body.errors) ? body.errors[0] : undefined;
    if (isRecord(first))
      return [first.code, first.message].filter((v) => typeof v === 'string' && v).join(' ');
  } catch {
    // not JSON: no detail
  }
  return undefined;
}
