/**
 * Picks the identity token for keyless signing, in cosign's order: `--identity-token` (token or file),
 * `SIGSTORE_ID_TOKEN`, GitHub Actions ambient credentials, then (only when a person is at the terminal)
 * the browser login or the device flow. The token found is checked for shape and expiry before use.
 */
import { SigilError } from '../../core/index.js';
import { type BrowserOpener, tokenFromBrowser } from './browser.js';
import { tokenFromDeviceFlow } from './device.js';
import { hasEnvToken, tokenFromEnv } from './env.js';
import { tokenFromFlag } from './flag.js';
import { checkTokenFreshness } from './freshness.js';
import {
  GITHUB_PERMISSION_HINT,
  githubActionsUnavailable,
  hasGitHubActionsToken,
  isGitHubActions,
  tokenFromGitHubActions,
} from './github-actions.js';
import type { Env, Log, TokenResult } from './types.js';

export type InteractiveFlow = 'browser' | 'device';

export interface ResolveIdentityTokenOptions {
  /** The `--identity-token` value; empty counts as not given (as in cosign). */
  flag?: string;
  env: Env;
  /** A person can act (browser or device login); false in CI and scripts. */
  interactive: boolean;
  /** For the interactive flows; default the public-good Sigstore issuer. */
  issuerUrl?: string;
  /** For the interactive flows; default `sigstore`. */
  clientId?: string;
  log: Log;
  /** Default `browser`; cosign uses the device flow when stdin is not a terminal. */
  flow?: InteractiveFlow;
  openBrowser?: BrowserOpener;
  /** How long the browser login waits for the redirect. */
  loginTimeoutMs?: number;
  /** Device-flow polling waits (injectable for tests). */
  sleep?: (ms: number) => Promise<void>;
  /** For the expiry check (default: the current time). */
  now?: Date;
}

export async function resolveIdentityToken(options: ResolveIdentityTokenOptions): Promise<TokenResult> {
  const result = await findToken(options);
  checkTokenFreshness(result.token, options.now ?? new Date());
  return result;
}

async function findToken(options: ResolveIdentityTokenOptions): Promise<TokenResult> {
  const { env } = options;
  if (options.flag !== undefined && options.flag.trim() !== '') return tokenFromFlag(options.flag);
  if (hasEnvToken(env)) return tokenFromEnv(env);
  if (hasGitHubActionsToken(env)) return tokenFromGitHubActions(env, { log: options.log });
  // In a GitHub Actions job nobody can log in: the missing permission is the thing to fix.
  if (isGitHubActions(env)) throw githubActionsUnavailable(env);
  if (options.interactive) {
    const common = { issuerUrl: options.issuerUrl, clientId: options.clientId, log: options.log };
    return options.flow === 'device'
      ? tokenFromDeviceFlow({ ...common, sleep: options.sleep })
      : tokenFromBrowser({ ...common, openBrowser: options.openBrowser, timeoutMs: options.loginTimeoutMs });
  }
  throw new SigilError(
    'BAD_INPUT',
    'no OIDC identity token: no --identity-token, SIGSTORE_ID_TOKEN is not set, not in GitHub Actions, and interactive login is off',
    `pass --identity-token <token or file>, set SIGSTORE_ID_TOKEN, or in GitHub Actions ${GITHUB_PERMISSION_HINT}`,
  );
}
