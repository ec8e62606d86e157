/**
 * The one HTTP call every KMS provider makes: JSON answers read whatever their status (each provider knows
 * its service's error shapes), and an unreachable service or a non-JSON answer becomes one line naming the
 * key URI, so that a user sees which key and which server failed.
 */
import { isRecord, messageOf, SigilError } from '../../core/index.js';

export interface KmsRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  /** Sent as is (the caller chose the content type: AWS signs the exact bytes). */
  body?: string;
}

export interface KmsAnswer {
  status: number;
  /** The parsed JSON body (an empty object for an empty body). */
  json: Record<string, unknown>;
}

/** How long one KMS call may take before it counts as unreachable. */
const TIMEOUT_MS = 30_000;

export async function kmsFetch(uri: string, request: KmsRequest): Promise<KmsAnswer> {
  const where = `${uri}: ${request.method} ${request.url}`;
  let response: Response;
  try {
    response = await fetch(request.url, {
      method: request.method,
      headers: { Accept: 'application/json', ...request.headers },
      ...(request.body !== undefined ? { body: request.body } : {}),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (err) {
    const cause = messageOf((err as { cause?: unknown }).cause ?? err);
    throw new SigilError('SERVICE_UNREACHABLE', `${where}: the KMS cannot be reached: ${cause}`);
  }
  const text = await response.text();
  if (text.trim() === '') return { status: response.status, json: {} };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new SigilError('SERVICE_ERROR', `${where}: ${response.status} ${text.slice(0, 200)}`);
  }
  if (!isRecord(json))
    throw new SigilError('SERVICE_ERROR', `${where}: ${response.status} not a JSON object`);
  return { status: response.status, json };
}

/** A string field of a KMS answer, or an error naming the field: a malformed answer fails closed. */
export function stringField(uri: string, json: Record<string, unknown>, path: string): string {
  let value: unknown = json;
  for (const part of path.split('.')) value = isRecord(value) ? value[part] : undefined;
  if (typeof value !== 'string' || value === '') {
    throw new SigilError('SERVICE_ERROR', `${uri}: the KMS answer has no ${path}`);
  }
  return value;
}

/** The error a provider throws for a refused call: `URI: what failed: the service's own words`. */
export function kmsError(uri: string, status: number, cause: string, hint?: string): SigilError {
  const code =
    status === 404 ? 'NOT_FOUND' : status === 401 || status === 403 ? 'BAD_TOKEN' : 'SERVICE_ERROR';
  // Services put newlines and tabs in their messages (Vault: "1 error occurred:\n\t* permission denied"): one line.
  return new SigilError(code, `${uri}: ${cause.replace(/\s+/g, ' ').trim()}`, hint);
}
