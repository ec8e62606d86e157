/**
 * Where an AWS KMS call goes and whose credentials sign it, read as the AWS SDKs read them: credentials from
 * AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, else from the profile (AWS_PROFILE, else
 * `default`) in the shared credentials and config files (AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE,
 * default ~/.aws/credentials and ~/.aws/config); the region from AWS_REGION, AWS_DEFAULT_REGION or the
 * profile; the endpoint from the URI (HTTPS, as cosign), else AWS_ENDPOINT_URL_KMS or AWS_ENDPOINT_URL,
 * else the region's public endpoint. Single sign-on, instance roles and web identity are not read.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { SigilError } from '../../core/index.js';
import type { AwsCredentials } from './aws-sigv4.js';
import type { AwsKmsReference } from './uri.js';

export interface AwsTarget {
  endpoint: string;
  region: string;
  credentials: AwsCredentials;
}

type IniSections = Record<string, Record<string, string>>;

/** An AWS shared config/credentials file (INI); a missing file is empty. */
function readIni(path: string): IniSections {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return {};
  }
  const sections: IniSections = {};
  let current: Record<string, string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/^\s+|\s+$/g, '');
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[\s*(.+?)\s*\]$/.exec(line);
    if (header?.[1]) {
      current = sections[header[1]] ??= {};
      continue;
    }
    const eq = line.indexOf('=');
    if (current && eq > 0) current[line.slice(0, eq).trim().toLowerCase()] = line.slice(eq + 1).trim();
  }
  return sections;
}

export function awsTarget(ref: AwsKmsReference, env: NodeJS.ProcessEnv): AwsTarget {
  const profile = env.AWS_PROFILE ?? env.AWS_DEFAULT_PROFILE ?? 'default';
  const aws = join(env.HOME ?? homedir(), '.aws');
  const config = readIni(env.AWS_CONFIG_FILE ?? join(aws, 'config'));
  const profileConfig = (profile === 'default' ? config.default : config[`profile ${profile}`]) ?? {};
  const fileCredentials = readIni(env.AWS_SHARED_CREDENTIALS_FILE ?? join(aws, 'credentials'))[profile] ?? {};

  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? profileConfig.region;
  if (!region) {
    throw new SigilError(
      'BAD_INPUT',
      `${ref.uri}: no AWS region is configured`,
      `set AWS_REGION, or region in the ${profile} profile of ~/.aws/config`,
    );
  }
  const credentials = fromEnvironment(env) ?? fromProfile({ ...profileConfig, ...fileCredentials });
  if (!credentials) {
    throw new SigilError(
      'BAD_TOKEN',
      `${ref.uri}: no AWS credentials (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY unset, no keys in profile ${profile})`,
      'set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE naming a profile with keys',
    );
  }
  return { endpoint: endpointOf(ref, env, region), region, credentials };
}

function fromEnvironment(env: NodeJS.ProcessEnv): AwsCredentials | undefined {
  if (!env.AWS_ACCESS_KEY_ID || !env.AWS_SECRET_ACCESS_KEY) return undefined;
  return {
    accessKeyId: env.AWS_ACCESS_KEY_ID,
    secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
    ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
  };
}

function fromProfile(section: Record<string, string>): AwsCredentials | undefined {
  const { aws_access_key_id: accessKeyId, aws_secret_access_key: secretAccessKey } = section;
  if (!accessKeyId || !secretAccessKey) return undefined;
  const token = section.aws_session_token;
  return { accessKeyId, secretAccessKey, ...(token ? { sessionToken: token } : {}) };
}

function endpointOf(ref: AwsKmsReference, env: NodeJS.ProcessEnv, region: string): string {
  if (ref.endpoint) return `https://${ref.endpoint}`;
  const configured =
    env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS === 'true'
      ? undefined
      : (env.AWS_ENDPOINT_URL_KMS ?? env.AWS_ENDPOINT_URL);
  return (configured ?? `https://kms.${region}.amazonaws.com`).replace(/\/+$/, '');
}
