/**
 * sigil's webhook configurations as a real API server receives them: the two objects of
 * deploy/manifests/sigil.yaml with their caBundle filled in and, for a webhook running outside the
 * cluster, `clientConfig.url` instead of the Service. Also a TCP proxy that holds every connection's
 * first bytes for a while, to play a webhook slower than its timeoutSeconds.
 */
import { readFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { sigil } from './cli.js';

const MANIFESTS = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'deploy',
  'manifests',
  'sigil.yaml',
);

/**
 * `sigil admission tls` as the manifests' steps run it, plus 127.0.0.1 (the URL the API server dials
 * here): ca.crt, tls.crt and tls.key in `<dir>/tls`. Returns the caBundle.
 */
export async function loopbackWebhookTls(dir: string): Promise<string> {
  const service = ['--service', 'sigil', '--namespace', 'sigil-system'];
  const made = await sigil(['admission', 'tls', ...service, '--host', '127.0.0.1', '--out', 'tls'], {
    cwd: dir,
  });
  if (made.code !== 0) throw new Error(`sigil admission tls: ${made.stderr}`);
  return made.stdout.trim();
}

type Webhook = Record<string, unknown> & { name: string; clientConfig: Record<string, unknown> };
export type WebhookConfiguration = Record<string, unknown> & {
  kind: string;
  metadata: { name: string };
  webhooks: Webhook[];
};

/**
 * The MutatingWebhookConfiguration and ValidatingWebhookConfiguration of the plain manifests, calling
 * `https://<host:port><path>` (the manifests' own paths) with `caBundle`.
 */
export function manifestWebhooks(hostPort: string, caBundle: string): WebhookConfiguration[] {
  // The manifests' placeholder, which their install steps fill with sed.
  const text = readFileSync(MANIFESTS, 'utf8').replaceAll(/\$\{CA_BUNDLE\}/g, caBundle);
  const objects = parseAllDocuments(text).map((doc) => doc.toJS() as WebhookConfiguration);
  const configurations = objects.filter((o) => o.kind.endsWith('WebhookConfiguration'));
  for (const configuration of configurations) {
    for (const webhook of configuration.webhooks) {
      const { service, ...rest } = webhook.clientConfig as { service: { path: string } };
      webhook.clientConfig = { ...rest, url: `https://${hostPort}${service.path}` };
    }
  }
  return configurations;
}

/** A one-webhook configuration for the given namespaces only, e.g. to try failurePolicy or timeouts. */
export function namespacedWebhook(
  kind: 'MutatingWebhookConfiguration' | 'ValidatingWebhookConfiguration',
  name: string,
  namespaces: string[],
  webhooks: {
    name: string;
    url: string;
    caBundle: string;
    failurePolicy: 'Fail' | 'Ignore';
    timeoutSeconds?: number;
  }[],
): WebhookConfiguration {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind,
    metadata: { name },
    webhooks: webhooks.map((w) => ({
      name: w.name,
      admissionReviewVersions: ['v1'],
      sideEffects: 'NoneOnDryRun',
      failurePolicy: w.failurePolicy,
      timeoutSeconds: w.timeoutSeconds ?? 8,
      clientConfig: { url: w.url, caBundle: w.caBundle },
      namespaceSelector: {
        matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: namespaces }],
      },
      rules: [
        {
          apiGroups: [''],
          apiVersions: ['v1'],
          operations: ['CREATE'],
          resources: ['pods'],
          scope: 'Namespaced',
        },
      ],
    })),
  };
}

/** Forwards TCP to `target`, holding each connection's first bytes for `delayMs` before passing them on. */
export async function startDelayingProxy(
  target: { host: string; port: number },
  delayMs: number,
): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<import('node:net').Socket>();
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.once('close', () => sockets.delete(client));
    client.pause();
    const timer = setTimeout(() => {
      const upstream = connect(target.port, target.host, () => {
        client.pipe(upstream).pipe(client);
        client.resume();
      });
      sockets.add(upstream);
      upstream.once('close', () => sockets.delete(upstream));
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    }, delayMs);
    client.once('close', () => clearTimeout(timer));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
