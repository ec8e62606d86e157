/**
 * AWS Signature Version 4 for one JSON-protocol POST (the shape every KMS call has), as documented in the
 * IAM user guide ("Create a signed AWS API request"). Written here rather than taken from the AWS SDK: the
 * KMS calls sigil makes are five JSON POSTs, and @aws-sdk/client-kms brings dozens of packages for them.
 */
import { createHash, createHmac } from 'node:crypto';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface SignedRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

const sha256Hex = (data: string) => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();

export function signAwsJsonRequest(options: {
  endpoint: string;
  region: string;
  service: string;
  target: string;
  body: string;
  credentials: AwsCredentials;
  now?: Date;
}): SignedRequest {
  const url = new URL(options.endpoint);
  const amzDate = (options.now ?? new Date()).toISOString().replace(/[-:]|\.\d{3}/g, '');
  const day = amzDate.slice(0, 8);
  const headers: Record<string, string> = {
    'content-type': 'application/x-amz-json-1.1',
    host: url.host,
    'x-amz-date': amzDate,
    'x-amz-target': options.target,
    ...(options.credentials.sessionToken ? { 'x-amz-security-token': options.credentials.sessionToken } : {}),
  };
  const names = Object.keys(headers).sort();
  const signedHeaders = names.join(';');
  const canonicalRequest = [
    'POST',
    url.pathname || '/',
    '',
    ...names.map((name) => `${name}:${headers[name]}`),
    '',
    signedHeaders,
    sha256Hex(options.body),
  ].join('\n');
  const scope = `${day}/${options.region}/${options.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  let key = hmac(`AWS4${options.credentials.secretAccessKey}`, day);
  for (const part of [options.region, options.service, 'aws4_request']) key = hmac(key, part);
  const signature = createHmac('sha256', key).update(stringToSign).digest('hex');
  // fetch sets Host itself from the URL, the same value that was signed.
  const { host: _host, ...sent } = headers;
  return {
    url: url.toString(),
    body: options.body,
    headers: {
      ...sent,
      authorization: `AWS4-HMAC-SHA256 Credential=${options.credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
    },
  };
}
