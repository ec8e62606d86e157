/**
 * OAuth 2.0 device authorization grant (RFC 8628), cosign's flow for terminals without a browser: the
 * issuer's device_authorization_endpoint hands out a user code and a verification URL, the person enters
 * the code on any device, and the token endpoint is polled every `interval` seconds until it answers
 * with an ID token. Like sigstore's client, the request carries a PKCE challenge (S256).
 */
import { SigilError } from '../../core/index.js';
import { discoverIssuer, requireEndpoint, requireS256 } from './discovery.js';
import { jsonObject, oauthErrorText, oneLine, send } from './http.js';
import { createPkce } from './pkce.js';
import {
  DEFAULT_HTTP_TIMEOUT_MS,
  DEFAULT_OIDC_CLIENT_ID,
  DEFAULT_OIDC_ISSUER,
  type Log,
  OIDC_SCOPES,
  type TokenResult,
} from './types.js';

export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
/** RFC 8628 §3.2: the polling interval when the server names none. */
const DEFAULT_INTERVAL_SECONDS = 5;
/** RFC 8628 §3.5: `slow_down` adds 5 seconds to this and every later interval. */
const SLOW_DOWN_SECONDS = 5;
/** When the server names no lifetime for its device code. */
const DEFAULT_EXPIRES_IN_SECONDS = 600;

export interface DeviceFlowOptions {
  /** Default: the public-good Sigstore issuer. */
  issuerUrl?: string;
  /** Default `sigstore`. */
  clientId?: string;
  /** Where the verification URL and user code go (the CLI wires it to stderr). */
  log: Log;
  /** Waits between polls (injectable for tests). */
  sleep?: (ms: number) => Promise<void>;
  /** Per HTTP call to the issuer. */
  httpTimeoutMs?: number;
  /** Clock for the device code's lifetime (default Date.now). */
  now?: () => number;
}

export async function tokenFromDeviceFlow(options: DeviceFlowOptions): Promise<TokenResult> {
  const clientId = options.clientId ?? DEFAULT_OIDC_CLIENT_ID;
  const timeoutMs = options.httpTimeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const now = options.now ?? Date.now;
  const endpoints = await discoverIssuer(options.issuerUrl ?? DEFAULT_OIDC_ISSUER, { timeoutMs });
  const deviceEndpoint = requireEndpoint(endpoints, 'deviceAuthorizationEndpoint', 'device flow');
  const tokenEndpoint = requireEndpoint(endpoints, 'tokenEndpoint', 'device flow');
  requireS256(endpoints);
  const pkce = createPkce();

  const what = 'device flow';
  const unreachableHint = 'check the network and --oidc-issuer';
  const started = now();
  const authorization = await send(`${what}: device authorization`, deviceEndpoint, {
    method: 'POST',
    form: {
      client_id: clientId,
      scope: OIDC_SCOPES,
      code_challenge: pkce.challenge,
      code_challenge_method: pkce.method,
    },
    timeoutMs,
    unreachableHint,
  });
  const grant = jsonObject(`${what}: device authorization`, authorization);
  if (!authorization.ok) {
    throw new SigilError(
      'SERVICE_ERROR',
      `${what}: ${deviceEndpoint} refused the device authorization (${authorization.status} ${oauthErrorText(grant)})`,
      'check --oidc-client-id, or use the browser login',
    );
  }
  const deviceCode = grant.device_code;
  const userCode = grant.user_code;
  const verificationUri = grant.verification_uri_complete ?? grant.verification_uri;
  if (typeof deviceCode !== 'string' || typeof userCode !== 'string' || typeof verificationUri !== 'string') {
    throw new SigilError(
      'SERVICE_ERROR',
      `${what}: ${deviceEndpoint} answered without device_code, user_code and verification_uri`,
    );
  }
  let intervalSeconds = positiveNumber(grant.interval) ?? DEFAULT_INTERVAL_SECONDS;
  const expiresIn = positiveNumber(grant.expires_in) ?? DEFAULT_EXPIRES_IN_SECONDS;
  const deadline = started + expiresIn * 1000;

  options.log(`Enter the verification code ${userCode} in your browser at: ${verificationUri}`);
  options.log(`Code will be valid for ${expiresIn} seconds`);

  for (;;) {
    await sleep(intervalSeconds * 1000);
    if (now() >= deadline) throw expired(what);
    const answer = await send(`${what}: token request`, tokenEndpoint, {
      method: 'POST',
      form: {
        grant_type: DEVICE_CODE_GRANT,
        device_code: deviceCode,
        client_id: clientId,
        code_verifier: pkce.verifier,
      },
      timeoutMs,
      unreachableHint,
    });
    const body = jsonObject(`${what}: token request`, answer);
    if (answer.ok && typeof body.id_token === 'string' && body.id_token !== '') {
      options.log('Token received!');
      return { token: body.id_token, source: `device login at ${endpoints.issuer}` };
    }
    switch (body.error) {
      case 'authorization_pending':
        continue;
      case 'slow_down':
        intervalSeconds += SLOW_DOWN_SECONDS;
        continue;
      case 'expired_token':
        throw expired(what);
      case 'access_denied':
        throw new SigilError(
          'BAD_INPUT',
          `${what}: the login was denied (access_denied)`,
          'start again and approve the request, or pass --identity-token',
        );
      default:
        throw new SigilError(
          'SERVICE_ERROR',
          answer.ok
            ? `${what}: ${tokenEndpoint} answered without an id_token`
            : `${what}: ${tokenEndpoint} answered ${answer.status} ${oneLine(oauthErrorText(body))}`,
        );
    }
  }
}

function expired(what: string): SigilError {
  return new SigilError(
    'BAD_INPUT',
    `${what}: the device code expired before the login was completed (expired_token)`,
    'run the command again and enter the new code sooner',
  );
}

function positiveNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
}
