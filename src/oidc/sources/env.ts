/** `SIGSTORE_ID_TOKEN`: how GitLab CI (`id_tokens:`) and other CI systems hand cosign a token. */
import { SigilError } from '../../core/index.js';
import type { Env, TokenResult } from './types.js';

export const SIGSTORE_ID_TOKEN = 'SIGSTORE_ID_TOKEN';

/** True when the variable holds something (an empty value counts as unset). */
export function hasEnvToken(env: Env): boolean {
  return (env[SIGSTORE_ID_TOKEN] ?? '').trim() !== '';
}

export async function tokenFromEnv(env: Env): Promise<TokenResult> {
  const token = (env[SIGSTORE_ID_TOKEN] ?? '').trim();
  if (token === '') {
    throw new SigilError(
      'BAD_INPUT',
      `${SIGSTORE_ID_TOKEN} is not set`,
      'set it to an OIDC token; in GitLab CI add `id_tokens: { SIGSTORE_ID_TOKEN: { aud: sigstore } }` to the job',
    );
  }
  return { token, source: SIGSTORE_ID_TOKEN };
}
