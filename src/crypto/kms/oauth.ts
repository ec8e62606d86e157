/** The OAuth token requests the Azure and GCP providers make: a form POST answered by `{access_token}`. */
import { kmsError, kmsFetch } from './http.js';

export async function fetchAccessToken(
  uri: string,
  tokenUrl: string,
  form: Record<string, string>,
): Promise<string> {
  const answer = await kmsFetch(uri, {
    method: 'POST',
    url: tokenUrl,
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  const token = answer.json.access_token;
  if (answer.status === 200 && typeof token === 'string' && token !== '') return token;
  const reason = String(answer.json.error_description ?? answer.json.error ?? `status ${answer.status}`);
  throw kmsError(
    uri,
    answer.status === 200 ? 502 : 401,
    `the credentials were refused by ${tokenUrl}: ${reason.split('\n')[0]}`,
  );
}
