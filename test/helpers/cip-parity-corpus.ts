/**
 * The ClusterImagePolicies the parity test runs through the real policy-controller tester and through
 * sigil: the authorities and fields test/policy/cluster-image-policy.test.ts covers (key, wrong key,
 * attestations, keyless exact and regexp identities, static, several authorities, warn mode), over the
 * parity images. Keyless authorities reach the private Sigstore through `trustRootRef` for the tester (its
 * `--trustroot` resource) and through `--trusted-root` for sigil, the same trust each tool's way.
 */
import { GO_SYNTAX_IDENTITY } from './kyverno-parity-corpus.js';
import type { ParityImages } from './parity-images.js';

type Json = Record<string, unknown>;

export interface CipParityPolicy {
  name: string;
  source: string;
  tester: Json;
  sigil: Json;
}

const TRUST_ROOT = 'private-sigstore';

/** `policy/image` → why sigil's admission deliberately differs from the tester's. */
export const CIP_DIFFERENCES: Record<string, string> = {};

export function cipParityCorpus(images: ParityImages): CipParityPolicy[] {
  const key = (data: string) => ({ key: { data } });
  const keyless = (identities: Json[], forTester: boolean) => ({
    keyless: {
      url: images.stack.urls.ca,
      identities,
      ...(forTester ? { trustRootRef: TRUST_ROOT } : {}),
    },
    ctlog: { url: images.trust.rekorUrl, ...(forTester ? { trustRootRef: TRUST_ROOT } : {}) },
  });
  const exact = { issuer: images.issuer, subject: images.identity('org/app') };
  const regexp = { issuerRegExp: '^http://127\\.0\\.0\\.1:', subjectRegExp: '^https://github\\.com/org/' };
  const policy = (
    name: string,
    source: string,
    authorities: (forTester: boolean) => Json[],
    spec: Json = {},
  ): CipParityPolicy => {
    const document = (forTester: boolean) => ({
      apiVersion: 'policy.sigstore.dev/v1beta1',
      kind: 'ClusterImagePolicy',
      metadata: { name },
      spec: {
        images: [{ glob: `${images.registry}/parity/**` }],
        authorities: authorities(forTester),
        ...spec,
      },
    });
    return { name, source, tester: document(true), sigil: document(false) };
  };
  return [
    policy('key', 'key authority', () => [key(images.keyPem)]),
    policy('wrong-key', 'key authority, another key', () => [key(images.otherKeyPem)]),
    policy('key-or-other', 'two authorities: any passes', () => [
      key(images.otherKeyPem),
      key(images.keyPem),
    ]),
    policy('vuln-attested', 'key authority with a vuln attestation', () => [
      { ...key(images.keyPem), attestations: [{ name: 'scan', predicateType: 'vuln' }] },
    ]),
    policy('spdx-attested', 'key authority with an SPDX attestation', () => [
      { ...key(images.keyPem), attestations: [{ name: 'sbom', predicateType: 'spdxjson' }] },
    ]),
    policy('keyless-exact', 'keyless: issuer + subject', (t) => [keyless([exact], t)]),
    policy('keyless-regexp', 'keyless: issuerRegExp + subjectRegExp', (t) => [keyless([regexp], t)]),
    policy('keyless-regexp-go', 'keyless: issuerRegExp + subjectRegExp in Go syntax', (t) => [
      keyless([GO_SYNTAX_IDENTITY], t),
    ]),
    policy('static-pass', 'static: pass', () => [{ static: { action: 'pass' } }]),
    policy('static-fail', 'static: fail', () => [{ static: { action: 'fail', message: 'frozen' } }]),
    policy('warn-mode', 'mode: warn, key authority', () => [key(images.keyPem)], { mode: 'warn' }),
  ];
}

/** The tester's TrustRoot for the private Sigstore: its CA chain, log key and CT log key (PEM, base64). */
export function trustRootResource(images: ParityImages): Json {
  const b64 = (pem: string) => Buffer.from(pem).toString('base64');
  const { trust, stack } = images;
  return {
    apiVersion: 'policy.sigstore.dev/v1alpha1',
    kind: 'TrustRoot',
    metadata: { name: TRUST_ROOT },
    spec: {
      sigstoreKeys: {
        certificateAuthorities: [
          {
            subject: { organization: 'sigil', commonName: 'sigil root' },
            uri: stack.urls.ca,
            certChain: b64(trust.roots),
          },
        ],
        tLogs: [{ baseURL: trust.rekorUrl, hashAlgorithm: 'sha-256', publicKey: b64(trust.rekorKey) }],
        ctLogs: [{ baseURL: stack.urls.ca, hashAlgorithm: 'sha-256', publicKey: b64(trust.ctlogKey) }],
      },
    },
  };
}
