/**
 * cosign's key pairs in Kubernetes Secrets, named `k8s://<namespace>/<secret>`: the encrypted private key,
 * its password and the public key under the data keys cosign.key, cosign.password and cosign.pub. The CLI
 * writes them (`generate-key-pair k8s://...`) and reads them for `--key k8s://...`; Kyverno policies name
 * public keys the same way. This module moves the PEM text only: what the keys mean is the caller's.
 */
import { SigilError } from '../core/index.js';
import { KubeApiError, type KubeClient, type KubeSecret } from './client.js';

export const KEY_SECRET_SCHEME = 'k8s://';

export interface KeySecretRef {
  namespace: string;
  name: string;
}

/** The data key cosign uses for each field. */
const DATA_KEYS = {
  privateKeyPem: 'cosign.key',
  publicKeyPem: 'cosign.pub',
  password: 'cosign.password',
} as const;

export type KeySecretField = keyof typeof DATA_KEYS;
export type KeyPairSecret = Record<KeySecretField, string>;

const FIELDS = Object.keys(DATA_KEYS) as KeySecretField[];

export function isKeySecretRef(ref: string): boolean {
  return ref.startsWith(KEY_SECRET_SCHEME);
}

/** `k8s://<namespace>/<secret>`, exactly two non-empty parts. */
export function parseKeySecretRef(ref: string): KeySecretRef {
  const parts = isKeySecretRef(ref) ? ref.slice(KEY_SECRET_SCHEME.length).split('/') : [];
  const [namespace, name] = parts;
  if (parts.length !== 2 || !namespace || !name) {
    throw new SigilError(
      'BAD_REFERENCE',
      `${ref}: kubernetes specification should be in the format k8s://<namespace>/<secret>`,
    );
  }
  return { namespace, name };
}

/**
 * The fields the Secret holds, decoded; those named in `required` must be there (a verifier needs only
 * cosign.pub, a signer cosign.key and cosign.password). An empty value is present: the password may be "".
 */
export async function readKeySecret<F extends KeySecretField = never>(
  client: KubeClient,
  ref: string,
  required: readonly F[] = [],
): Promise<Partial<KeyPairSecret> & Pick<KeyPairSecret, F>> {
  const at = parseKeySecretRef(ref);
  let secret: KubeSecret;
  try {
    secret = await client.getSecret(at.namespace, at.name);
  } catch (err) {
    throw explain(err, ref, at, 'read');
  }
  const found: Partial<KeyPairSecret> = {};
  for (const field of FIELDS) {
    const value = secret.data?.[DATA_KEYS[field]];
    if (typeof value === 'string') found[field] = Buffer.from(value, 'base64').toString('utf8');
  }
  const missing = required.filter((field) => found[field] === undefined).map((field) => DATA_KEYS[field]);
  if (missing.length > 0) {
    throw new SigilError(
      'BAD_KEY',
      `${ref}: ${describe(at)} has no ${missing.join(', ')}`,
      `generate-key-pair ${ref} writes ${Object.values(DATA_KEYS).join(', ')}`,
    );
  }
  return found as Partial<KeyPairSecret> & Pick<KeyPairSecret, F>;
}

/**
 * Stores a key pair as cosign does: a new immutable Secret, or an update (PUT) of the existing one that
 * keeps its other data keys. The update carries the resourceVersion read, so a concurrent change makes it
 * fail (409) rather than be overwritten.
 */
export async function writeKeyPairSecret(
  client: KubeClient,
  ref: string,
  keys: KeyPairSecret,
): Promise<KubeSecret> {
  const at = parseKeySecretRef(ref);
  const data = Object.fromEntries(
    FIELDS.map((field) => [DATA_KEYS[field], Buffer.from(keys[field], 'utf8').toString('base64')]),
  );
  let existing: KubeSecret | undefined;
  try {
    existing = await client.getSecret(at.namespace, at.name);
  } catch (err) {
    if (!(err instanceof KubeApiError && err.status === 404)) throw explain(err, ref, at, 'read');
  }
  if (!existing) {
    const secret: KubeSecret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: at.name, namespace: at.namespace },
      data,
      immutable: true,
    };
    return client.createSecret(secret).catch((err: unknown) => {
      throw explain(err, ref, at, 'create');
    });
  }
  const wasImmutable = existing.immutable === true;
  const updated: KubeSecret = { ...existing, data: { ...existing.data, ...data }, immutable: true };
  return client.replaceSecret(updated).catch((err: unknown) => {
    const hint =
      wasImmutable && err instanceof KubeApiError && err.status === 422
        ? `an immutable Secret keeps its data: delete it first (kubectl delete secret -n ${at.namespace} ${at.name}) or name another`
        : undefined;
    throw explain(err, ref, at, 'update', hint);
  });
}

function describe(at: KeySecretRef): string {
  return `Secret ${at.name} in namespace ${at.namespace}`;
}

/** The client's error, rephrased to name the reference, the Secret and what was being done to it. */
function explain(
  err: unknown,
  ref: string,
  at: KeySecretRef,
  action: 'read' | 'create' | 'update',
  hint?: string,
): unknown {
  if (!(err instanceof SigilError)) return err;
  if (!(err instanceof KubeApiError)) return new SigilError(err.code, `${ref}: ${err.message}`, err.hint);
  const answer = `${err.status} ${err.detail}`;
  if (action === 'read' && err.status === 404) {
    return new SigilError(
      'NOT_FOUND',
      `${ref}: Secret ${at.name} not found in namespace ${at.namespace} (${answer})`,
    );
  }
  return new SigilError(err.code, `${ref}: cannot ${action} ${describe(at)}: ${answer}`, hint ?? err.hint);
}
