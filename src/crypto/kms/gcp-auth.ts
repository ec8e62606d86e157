/**
 * Google application default credentials, as Google's client libraries find them: the JSON file named by
 * GOOGLE_APPLICATION_CREDENTIALS, else gcloud's ~/.config/gcloud/application_default_credentials.json,
 * else the metadata server of the VM or pod (GCE_METADATA_HOST, default metadata.google.internal). A
 * service account key signs a JWT for its token_uri; an authorized user trades its refresh token.
 */
import { createSign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { isRecord, messageOf, SigilError } from '../../core/index.js';
import { kmsError, kmsFetch } from './http.js';
import { fetchAccessToken } from './oauth.js';

const SCOPE = 'https://www.googleapis.com/auth/cloudkms';
const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';

export async function googleAccessToken(uri: string, env: NodeJS.ProcessEnv): Promise<string> {
  const file = credentialsFile(uri, env);
  if (!file) return metadataToken(uri, env);
  if (file.type === 'service_account') return serviceAccountToken(uri, file);
  if (file.type === 'authorized_user') {
    return fetchAccessToken(uri, GOOGLE_TOKEN_URL, {
      grant_type: 'refresh_token',
      client_id: String(file.client_id),
      client_secret: String(file.client_secret),
      refresh_token: String(file.refresh_token),
    });
  }
  throw new SigilError(
    'BAD_TOKEN',
    `${uri}: application default credentials of type ${String(file.type)} are not supported`,
  );
}

function credentialsFile(uri: string, env: NodeJS.ProcessEnv): Record<string, unknown> | undefined {
  const named = env.GOOGLE_APPLICATION_CREDENTIALS;
  const path =
    named ?? join(env.HOME ?? homedir(), '.config', 'gcloud', 'application_default_credentials.json');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (!named) return undefined;
    throw new SigilError(
      'BAD_TOKEN',
      `${uri}: cannot read GOOGLE_APPLICATION_CREDENTIALS ${path}: ${messageOf(err)}`,
    );
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (isRecord(parsed)) return parsed;
  } catch {
    // reported below
  }
  throw new SigilError('BAD_TOKEN', `${uri}: ${path} is not a JSON credentials file`);
}

async function serviceAccountToken(uri: string, file: Record<string, unknown>): Promise<string> {
  const tokenUrl = typeof file.token_uri === 'string' ? file.token_uri : GOOGLE_TOKEN_URL;
  const now = Math.floor(Date.now() / 1000);
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const header = { alg: 'RS256', typ: 'JWT', ...(file.private_key_id ? { kid: file.private_key_id } : {}) };
  const claims = { iss: file.client_email, scope: SCOPE, aud: tokenUrl, iat: now, exp: now + 3600 };
  const input = `${part(header)}.${part(claims)}`;
  let signature: string;
  try {
    signature = createSign('sha256').update(input).sign(String(file.private_key), 'base64url');
  } catch (err) {
    throw new SigilError(
      'BAD_TOKEN',
      `${uri}: the service account's private_key is unusable: ${messageOf(err)}`,
    );
  }
  return fetchAccessToken(uri, tokenUrl, {
    grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
    assertion: `${input}.${signature}`,
  });
}

async function metadataToken(uri: string, env: NodeJS.ProcessEnv): Promise<string> {
  const host = env.GCE_METADATA_HOST ?? 'metadata.google.internal';
  const url = `http://${host}/computeMetadata/v1/instance/service-accounts/default/token`;
  let answer: Awaited<ReturnType<typeof kmsFetch>>;
  try {
    answer = await kmsFetch(uri, { method: 'GET', url, headers: { 'Metadata-Flavor': 'Google' } });
  } catch (err) {
    throw new SigilError(
      'BAD_TOKEN',
      `${uri}: no Google credentials (GOOGLE_APPLICATION_CREDENTIALS unset, no gcloud default credentials, no metadata server: ${messageOf(err)})`,
      'set GOOGLE_APPLICATION_CREDENTIALS or run gcloud auth application-default login',
    );
  }
  if (answer.status === 200 && typeof answer.json.access_token === 'string') return answer.json.access_token;
  throw kmsError(uri, answer.status, `the metadata server gave no access token (status ${answer.status})`);
}
