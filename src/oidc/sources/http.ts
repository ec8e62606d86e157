/**
 * The few HTTP calls the sources make (discovery, token endpoints, GitHub's token service) go through
 * core's callService; OAuth answers are read whatever their status (an error answer is a JSON body the
 * flows must interpret), and non-JSON answers become one-line SigilErrors that name the URL.
 */
import { callService, isRecord, SigilError } from '../../core/index.js';

export interface HttpCall {
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** Sent as application/x-www-form-urlencoded. */
  form?: Record<string, string>;
  timeoutMs: number;
  /** What to check when the server cannot be reached. */
  unreachableHint: string;
}

export interface HttpAnswer {
  url: string;
  status: number;
  ok: boolean;
  text: string;
}

export async function send(what: string, url: string, call: HttpCall): Promise<HttpAnswer> {
  const { method, ...options } = call;
  const response = await callService(method, url, { ...options, accept: 'any', context: what });
  return { url, status: response.status, ok: response.ok, text: await response.text() };
}

/** The answer's JSON object, or an error naming the URL and status. */
export function jsonObject(what: string, answer: HttpAnswer): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer.text);
  } catch {
    parsed = undefined;
  }
  if (!isRecord(parsed)) {
    throw new SigilError(
      'SERVICE_ERROR',
      `${what}: ${answer.url} answered ${answer.status} without a JSON object: ${oneLine(answer.text) || '(empty)'}`,
    );
  }
  return parsed;
}

/** An OAuth error answer (RFC 6749 §5.2) in words: `error: error_description`. */
export function oauthErrorText(body: Record<string, unknown>): string {
  const error = typeof body.error === 'string' ? body.error : 'unknown_error';
  const description = typeof body.error_description === 'string' ? `: ${body.error_description}` : '';
  return oneLine(`${error}${description}`);
}

/** Text from a server, made safe for a one-line message. */
export function oneLine(text: string, max = 200): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}
