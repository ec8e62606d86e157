/**
 * GitHub Actions ambient credentials: a job with `permissions: id-token: write` gets a request URL and a
 * bearer token in its environment; GET on the URL with `audience=sigstore` answers `{"value": "<JWT>"}`.
 * Like cosign, network failures are retried (three attempts, one second apart).
 */
import { isRecord, SigilError } from '../../core/index.js';
import { jsonObject, oneLine, send } from './http.js';
import { DEFAULT_HTTP_TIMEOUT_MS, type Env, type Log, SIGSTORE_AUDIENCE, type TokenResult } from './types.js';

export const ACTIONS_ID_TOKEN_REQUEST_URL = 'ACTIONS_ID_TOKEN_REQUEST_URL';
export const ACTIONS_ID_TOKEN_REQUEST_TOKEN = 'ACTIONS_ID_TOKEN_REQUEST_TOKEN';

export const GITHUB_PERMISSION_HINT =
  'add `permissions: id-token: write` to the workflow or job (pull requests from forks get no OIDC token)';

export interface GitHubActionsOptions {
  /** Default `sigstore`. */
  audience?: string;
  timeoutMs?: number;
  /** Attempts when GitHub cannot be reached (default 3). */
  attempts?: number;
  /** Default 1000. */
  retryDelayMs?: number;
  /** Told about each retried failure. */
  log?: Log;
}

/** Both variables are set: a token can be requested. */
export function hasGitHubActionsToken(env: Env): boolean {
  return Boolean(env[ACTIONS_ID_TOKEN_REQUEST_URL]) && Boolean(env[ACTIONS_ID_TOKEN_REQUEST_TOKEN]);
}

/** The job runs in GitHub Actions (`GITHUB_ACTIONS=true`), whether or not it may request tokens. */
export function isGitHubActions(env: Env): boolean {
  return env.GITHUB_ACTIONS === 'true';
}

/** The error for a GitHub Actions job without the id-token permission (or outside GitHub Actions). */
export function githubActionsUnavailable(env: Env): SigilError {
  const missing = [ACTIONS_ID_TOKEN_REQUEST_URL, ACTIONS_ID_TOKEN_REQUEST_TOKEN].filter((name) => !env[name]);
  const unset = `${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not set`;
  return isGitHubActions(env)
    ? new SigilError(
        'BAD_INPUT',
        `no OIDC identity token: running in GitHub Actions but ${unset}`,
        GITHUB_PERMISSION_HINT,
      )
    : new SigilError(
        'BAD_INPUT',
        `no GitHub Actions OIDC token: not running in GitHub Actions (${unset})`,
        'pass --identity-token or set SIGSTORE_ID_TOKEN outside GitHub Actions',
      );
}

/** The request URL with `audience` appended, keeping whatever query it already has. */
export function githubTokenUrl(requestUrl: string, audience: string): string {
  const separator = !requestUrl.includes('?') ? '?' : /[?&]$/.test(requestUrl) ? '' : '&';
  return `${requestUrl}${separator}audience=${encodeURIComponent(audience)}`;
}

export async function tokenFromGitHubActions(
  env: Env,
  options: GitHubActionsOptions = {},
): Promise<TokenResult> {
  const requestUrl = env[ACTIONS_ID_TOKEN_REQUEST_URL];
  const requestToken = env[ACTIONS_ID_TOKEN_REQUEST_TOKEN];
  if (!requestUrl || !requestToken) throw githubActionsUnavailable(env);
  const url = githubTokenUrl(requestUrl, options.audience ?? SIGSTORE_AUDIENCE);
  const attempts = Math.max(1, options.attempts ?? 3);
  const what = 'GitHub Actions OIDC token';
  for (let attempt = 1; ; attempt++) {
    let answer: Awaited<ReturnType<typeof send>>;
    try {
      answer = await send(what, url, {
        method: 'GET',
        headers: { Authorization: `Bearer ${requestToken}` },
        timeoutMs: options.timeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS,
        unreachableHint: 'the GitHub Actions token service did not answer; re-run the job',
      });
    } catch (err) {
      if (attempt >= attempts) throw err;
      options.log?.(`error fetching the GitHub Actions OIDC token (will retry): ${(err as Error).message}`);
      await new Promise((resolve) => setTimeout(resolve, options.retryDelayMs ?? 1000));
      continue;
    }
    if (!answer.ok) {
      throw new SigilError(
        'SERVICE_ERROR',
        `${what}: ${answer.url} answered ${answer.status}: ${errorMessage(answer.text)}`,
        answer.status === 401 || answer.status === 403 ? GITHUB_PERMISSION_HINT : undefined,
      );
    }
    const body = jsonObject(what, answer);
    if (typeof body.value !== 'string' || body.value === '') {
      throw new SigilError('SERVICE_ERROR', `${what}: ${answer.url} answered without a "value"`);
    }
    return { token: body.value, source: 'GitHub Actions' };
  }
}

/** GitHub's error answers are JSON `{"message": ...}`; anything else is shown as it is. */
function errorMessage(text: string): string {
  try {
    const parsed: unknown = JSON.parse(text);
    if (isRecord(parsed) && typeof parsed.message === 'string') return oneLine(parsed.message);
  } catch {
    // not JSON
  }
  return oneLine(text) || '(empty)';
}
