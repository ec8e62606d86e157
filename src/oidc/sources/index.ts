/** OIDC identity-token sources for keyless signing (the client side). */
export {
  type BrowserLoginOptions,
  type BrowserOpener,
  openSystemBrowser,
  tokenFromBrowser,
} from './browser.js';
export { type DeviceFlowOptions, tokenFromDeviceFlow } from './device.js';
export { discoverIssuer, type IssuerEndpoints } from './discovery.js';
export { hasEnvToken, SIGSTORE_ID_TOKEN, tokenFromEnv } from './env.js';
export { tokenFromFlag } from './flag.js';
export { checkTokenFreshness } from './freshness.js';
export {
  type GitHubActionsOptions,
  githubTokenUrl,
  hasGitHubActionsToken,
  isGitHubActions,
  tokenFromGitHubActions,
} from './github-actions.js';
export { type InteractiveFlow, type ResolveIdentityTokenOptions, resolveIdentityToken } from './resolve.js';
export {
  DEFAULT_OIDC_CLIENT_ID,
  DEFAULT_OIDC_ISSUER,
  type Env,
  type Log,
  SIGSTORE_AUDIENCE,
  type TokenResult,
} from './types.js';
