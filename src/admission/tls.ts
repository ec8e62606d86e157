/**
 * Serving certificates for the webhook when no cert-manager or cluster CA issues them: a private CA whose
 * certificate becomes the webhook configurations' caBundle, and a server certificate for every name the
 * API server may dial the webhook Service by. The Helm chart makes the same pair with genCA/genSignedCert.
 */
import { webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import { encodePem, SigilError } from '../core/index.js';
import { loadX509 } from '../crypto/index.js';

export interface WebhookTlsOptions {
  service: string;
  namespace: string;
  /** Validity of both certificates. Nothing renews them, so the default is long (as webhook cert jobs do). */
  days?: number;
  /**
   * More names or IP addresses for a webhook the API server reaches by `clientConfig.url` (one running
   * outside the cluster): Go checks the URL's host against the SANs.
   */
  hosts?: string[];
  now?: Date;
}

/** PEM texts, named after the keys of the kubernetes.io/tls Secret they go into. */
export interface WebhookTls {
  'ca.crt': string;
  'tls.crt': string;
  'tls.key': string;
  dnsNames: string[];
  ipAddresses: string[];
  notAfter: Date;
}

export const DEFAULT_WEBHOOK_CERT_DAYS = 3650;

const P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
// Back-dated so that API servers whose clocks run a little behind ours accept the certificate at once.
const BACKDATE_MS = 5 * 60_000;
const DAY_MS = 86_400_000;
// RFC 1123 label, the rule Kubernetes applies to Service and Namespace names.
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
// RFC 1123 host name: dot-separated labels (case-insensitive), at most 253 characters.
const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/i;

/** Splits --host values into DNS names and IP addresses; anything else is refused by name. */
export function splitHosts(hosts: string[]): { dnsNames: string[]; ipAddresses: string[] } {
  const dnsNames: string[] = [];
  const ipAddresses: string[] = [];
  for (const host of hosts) {
    if (isIP(host)) ipAddresses.push(host);
    else if (DNS_NAME.test(host)) dnsNames.push(host.toLowerCase());
    else throw new SigilError('BAD_INPUT', `host "${host}" is neither a DNS name nor an IP address`);
  }
  return { dnsNames, ipAddresses };
}

/**
 * The names the API server uses for a Service-backed webhook (`NAME.NS.svc`), plus the longer and shorter
 * forms other in-cluster clients may use.
 */
export function webhookDnsNames(service: string, namespace: string): string[] {
  for (const [what, value] of [
    ['service', service],
    ['namespace', namespace],
  ]) {
    if (!DNS_LABEL.test(value ?? '')) {
      throw new SigilError(
        'BAD_INPUT',
        `${what} name "${value}" is not a Kubernetes name (lowercase letters, digits and '-', at most 63)`,
      );
    }
  }
  return [
    `${service}.${namespace}.svc`,
    `${service}.${namespace}.svc.cluster.local`,
    `${service}.${namespace}`,
    service,
  ];
}

export async function createWebhookTls(options: WebhookTlsOptions): Promise<WebhookTls> {
  const extra = splitHosts(options.hosts ?? []);
  const dnsNames = [...new Set([...webhookDnsNames(options.service, options.namespace), ...extra.dnsNames])];
  const { ipAddresses } = extra;
  const days = options.days ?? DEFAULT_WEBHOOK_CERT_DAYS;
  if (!Number.isInteger(days) || days <= 0)
    throw new SigilError('BAD_INPUT', `certificate validity must be a positive number of days, not ${days}`);
  const now = options.now ?? new Date();
  const validity = {
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: new Date(now.getTime() + days * DAY_MS),
  };
  const x509 = loadX509();
  const caKeys = await webcrypto.subtle.generateKey(P256, true, ['sign', 'verify']);
  const serverKeys = await webcrypto.subtle.generateKey(P256, true, ['sign', 'verify']);

  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    ...validity,
    name: [{ CN: [`${options.service}.${options.namespace} webhook CA`] }],
    keys: caKeys,
    signingAlgorithm: P256,
    extensions: [
      // pathLength 0: this CA signs the serving certificate and nothing that could sign further.
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const server = await x509.X509CertificateGenerator.create({
    ...validity,
    subject: [{ CN: [dnsNames[0] ?? options.service] }],
    issuer: ca.subjectName,
    publicKey: serverKeys.publicKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: P256,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      // Go's TLS stack (the API server) checks only the SANs, never the common name.
      new x509.SubjectAlternativeNameExtension([
        ...dnsNames.map((value) => ({ type: 'dns' as const, value })),
        ...ipAddresses.map((value) => ({ type: 'ip' as const, value })),
      ]),
      await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', serverKeys.privateKey);
  return {
    'ca.crt': encodePem('CERTIFICATE', new Uint8Array(ca.rawData)),
    'tls.crt': encodePem('CERTIFICATE', new Uint8Array(server.rawData)),
    'tls.key': encodePem('PRIVATE KEY', new Uint8Array(pkcs8)),
    dnsNames,
    ipAddresses,
    notAfter: validity.notAfter,
  };
}

/** What the webhook configurations' `clientConfig.caBundle` holds: the CA certificate PEM, base64. */
export function caBundleOf(tls: WebhookTls): string {
  return Buffer.from(tls['ca.crt']).toString('base64');
}

/** A kubernetes.io/tls Secret with the pair and the CA (cert-manager's layout), for `kubectl apply`. */
export function tlsSecretManifest(name: string, namespace: string, tls: WebhookTls): Record<string, unknown> {
  const data = (key: 'ca.crt' | 'tls.crt' | 'tls.key') => Buffer.from(tls[key]).toString('base64');
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/tls',
    metadata: { name, namespace, labels: { 'app.kubernetes.io/name': 'sigil' } },
    data: { 'ca.crt': data('ca.crt'), 'tls.crt': data('tls.crt'), 'tls.key': data('tls.key') },
  };
}
