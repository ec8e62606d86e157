/**
 * The policy model the engine evaluates: what to verify (image patterns, attestor sets, attestations with
 * conditions), how to act on failures, and which requests a rule applies to. It is independent of any
 * policy language: the Kyverno reader (kyverno/) produces it, and other front-ends (ImageValidatingPolicy,
 * ClusterImagePolicy) can produce it too.
 */
import type { Repository } from '../oci/index.js';
import type { AnyAllConditions } from './conditions/index.js';
import type { CompiledImageValidation } from './kyverno-cel/compiled.js';

export type FailureAction = 'Enforce' | 'Audit';
export type FailurePolicy = 'Fail' | 'Ignore';

export interface Policy {
  name: string;
  /** Set for namespaced policies (Kyverno `Policy`): they apply only in their namespace. */
  namespace?: string;
  failureAction: FailureAction;
  /** Per-namespace overrides of the failure action. */
  failureActionOverrides: { action: FailureAction; namespaces: string[] }[];
  failurePolicy: FailurePolicy;
  webhookTimeoutSeconds?: number;
  background: boolean;
  severity?: string;
  category?: string;
  /** Whether rules matching Pods also apply to pod controllers (Kyverno autogen). */
  autogenControllers: string[];
  rules: Rule[];
  /** Where the policy came from, for messages. */
  source: string;
  /**
   * Set for Sigstore policy-controller ClusterImagePolicies: images they do not match are subject to the
   * evaluation's no-match policy. Absent for Kyverno ClusterPolicies; `ImageValidatingPolicy` for Kyverno's
   * CEL image policies, which have no rules and carry `imageValidation` instead.
   */
  origin?: 'ClusterImagePolicy' | 'ImageValidatingPolicy';
  /** An ImageValidatingPolicy's compiled CEL, attestors and settings (kyverno-cel/). */
  imageValidation?: CompiledImageValidation;
  /**
   * What to tell whoever loads the policy, one line each: rules sigil does not enforce (other than
   * verifyImages), and keys or certificates that do not parse (their images will fail).
   */
  warnings: string[];
}

export interface Rule {
  name: string;
  match: ResourceFilter;
  exclude?: ResourceFilter;
  verifyImages: ImageVerification[];
}

/** Kyverno's match/exclude: `any` (one block matches) or `all` (every block matches). */
export interface ResourceFilter {
  any?: ResourceDescription[];
  all?: ResourceDescription[];
}

export interface ResourceDescription {
  kinds?: string[];
  names?: string[];
  namespaces?: string[];
  operations?: string[];
  annotations?: Record<string, string>;
  selector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  subjects?: { kind: string; name: string; namespace?: string }[];
  roles?: string[];
  clusterRoles?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: {
    key: string;
    operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
    values?: string[];
  }[];
}

export interface ImageVerification {
  imageReferences: string[];
  /**
   * How imageReferences are read: Kyverno wildcards (`*` any text, `?` one character) by default, or
   * `glob`, the policy-controller's (`*` stops at `/`, `**` does not; Docker Hub names as index.docker.io).
   */
  patternSyntax?: 'glob';
  skipImageReferences: string[];
  /** Overrides the policy's failure action for this verification (Kyverno's per-rule failureAction). */
  failureAction?: FailureAction;
  attestors: AttestorSet[];
  attestations: AttestationCheck[];
  /** Where signatures and attestations live, instead of the image's repository (cosign's COSIGN_REPOSITORY). */
  repository?: Repository;
  /** How to reach the registries of this verification's images (Kyverno's imageRegistryCredentials). */
  registryCredentials?: RegistryCredentials;
  mutateDigest: boolean;
  verifyDigest: boolean;
  useCache: boolean;
  /** `Cosign`, `SigstoreBundle` or `Notary`; other verifier types are kept to report them as unsupported. */
  type: string;
}

export interface RegistryCredentials {
  /** Registries may be reached over plain HTTP. */
  allowInsecureRegistry: boolean;
  /** `default`: the controller's own docker config. Cloud providers are refused when the policy loads. */
  providers: 'default'[];
  /** Names of kubernetes.io/dockerconfigjson Secrets in the controller's namespace, tried in order. */
  secrets: string[];
}

/** A set passes when `count` of its entries pass (all of them when count is not given). */
export interface AttestorSet {
  count?: number;
  entries: Attestor[];
}

export type Attestor =
  | ({ kind: 'key'; publicKey: string; signatureAlgorithm?: string } & SignatureAttestor)
  /** A public key in a Kubernetes Secret (`cosign.pub` of `k8s://<namespace>/<name>`), read when used. */
  | ({ kind: 'secretKey'; ref: string; signatureAlgorithm?: string } & SignatureAttestor)
  /** The public key of a KMS key (awskms://, gcpkms://, azurekms://, hashivault://), fetched and cached. */
  | ({ kind: 'kmsKey'; ref: string; signatureAlgorithm?: string } & SignatureAttestor)
  | ({
      kind: 'keyless';
      subject?: string;
      subjectRegExp?: string;
      issuer?: string;
      issuerRegExp?: string;
      roots?: string;
      additionalExtensions: Record<string, string>;
    } & SignatureAttestor)
  /** `notary`: the certificates a Notation signature must chain to (an ImageValidatingPolicy's notary). */
  | ({ kind: 'certificate'; cert?: string; certChain?: string; notary?: boolean } & SignatureAttestor)
  | { kind: 'nested'; set: AttestorSet }
  /** A fixed verdict (policy-controller's `static` authority): passes, or fails with `message`. */
  | { kind: 'static'; pass: boolean; message?: string }
  /**
   * Passes through attestations instead of signatures (a policy-controller authority with attestations):
   * each predicate type needs at least one attestation that `by` verifies, whatever the target.
   */
  | { kind: 'attested'; predicateTypes: string[]; by: Attestor }
  | { kind: 'unsupported'; what: string }
  /** Key material that does not parse: every verification through it fails with `reason`. */
  | { kind: 'invalid'; reason: string };

/** What every attestor that checks signatures carries besides its trust. */
export interface SignatureAttestor {
  tlog: TlogSettings;
  ctlog: CtlogSettings;
  /** Annotations each signature must carry (cosign's -a), checked on image signatures. */
  annotations?: Record<string, string>;
  /** Where this attestor's signatures live, instead of the verification's repository. */
  repository?: Repository;
}

export interface TlogSettings {
  url?: string;
  publicKey?: string;
  ignore: boolean;
}

export interface CtlogSettings {
  ignoreSct: boolean;
  publicKey?: string;
}

export interface AttestationCheck {
  predicateType: string;
  attestors: AttestorSet[];
  conditions: AnyAllConditions[];
}

export interface PolicySet {
  policies: Policy[];
}
