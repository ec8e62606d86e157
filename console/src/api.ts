/** The console's read-only API (same origin, /ui/api/): JSON GETs (and one question POSTed), errors as one line. */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function getJson<T>(
  path: string,
  query: Record<string, string | number | undefined> = {},
): Promise<T> {
  const url = new URL(`api/${path}`, document.baseURI);
  for (const [name, value] of Object.entries(query))
    if (value !== undefined && value !== '') url.searchParams.set(name, String(value));
  return answer<T>(await fetch(url, { headers: { accept: 'application/json' } }));
}

/** POSTs a JSON question (nothing is stored by the server: it is answered and forgotten). */
export async function postJson<T>(path: string, body: object): Promise<T> {
  return answer<T>(
    await fetch(new URL(`api/${path}`, document.baseURI), {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }),
  );
}

async function answer<T>(response: Response): Promise<T> {
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ApiError(response.status, `${response.status}: ${text.slice(0, 200)}`);
  }
  if (!response.ok) {
    const body = json as { error?: string; message?: string };
    throw new ApiError(response.status, body.error ?? body.message ?? `HTTP ${response.status}`);
  }
  return json as T;
}

export async function getText(path: string): Promise<string> {
  const response = await fetch(new URL(`api/${path}`, document.baseURI));
  const text = await response.text();
  if (!response.ok) throw new ApiError(response.status, `${response.status}: ${text.slice(0, 200)}`);
  return text;
}

export interface ConsoleConfig {
  tlog: boolean;
  registry: string | null;
  admission: boolean;
  /** The console has a trusted root: identities can be checked. */
  keyless: boolean;
}

export interface EntrySummary {
  uuid: string;
  logIndex: number;
  kind: string;
  apiVersion: string;
  integratedTime: number;
}

export interface LogHealth {
  treeId: string;
  logId: string;
  publicKey: string;
  treeSize: number;
  rootHash: string;
  signedTreeHead: string;
  windowMinutes: number;
  entriesPerMinute: { minute: number; count: number }[];
  checkpoints: { size: number; rootHash: string; note: string }[];
  integrating: boolean;
}

export interface PolicyResult {
  policy: string;
  rule: string;
  result: string;
  message: string;
  image?: string;
}

export interface Decision {
  id: string;
  time: string;
  namespace: string;
  kind: string;
  name: string;
  operation: string;
  endpoint: string;
  allowed: boolean;
  message?: string;
  warnings: string[];
  images: string[];
  results: PolicyResult[];
  latencyMs: number;
}
