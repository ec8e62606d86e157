/**
 * Which certificate identities a keyless verification accepts, with cosign's semantics: the identity
 * is compared with every subject alternative name, the issuer with the OIDC issuer extension, and
 * optional GitHub workflow fields with their extensions. Exact values must be equal. Regular expressions
 * are matched as Go's regexp.MatchString does in cosign: a search, NOT anchored unless the pattern says
 * so, so `^https://github.com/org/` accepts `https://github.com/org/repo/...` and nothing under
 * `https://github.com/org-evil/`, while `github.com/org` alone would match anywhere in the name.
 */
import { compileGoRegexp, type GoRegexp, SigilError } from '../core/index.js';
import type { CertificateIdentity } from './certificate-identity.js';

export interface IdentityPolicy {
  identity?: string;
  identityRegexp?: string;
  issuer?: string;
  issuerRegexp?: string;
  githubWorkflowTrigger?: string;
  githubWorkflowSha?: string;
  githubWorkflowName?: string;
  githubWorkflowRepository?: string;
  githubWorkflowRef?: string;
}

export interface CompiledIdentityPolicy {
  matches(identity: CertificateIdentity): string | undefined;
  /** Patterns not anchored at the start (`^`): worth a warning, since they match anywhere in the value. */
  unanchored: string[];
}

const GITHUB_FIELDS = [
  'githubWorkflowTrigger',
  'githubWorkflowSha',
  'githubWorkflowName',
  'githubWorkflowRepository',
  'githubWorkflowRef',
] as const;

/** Checks the policy is complete (cosign requires both an identity and an issuer) and compiles it. */
export function compileIdentityPolicy(policy: IdentityPolicy): CompiledIdentityPolicy {
  if (policy.identity === undefined && policy.identityRegexp === undefined) {
    throw new SigilError(
      'BAD_INPUT',
      '--certificate-identity or --certificate-identity-regexp is required for verification in keyless mode',
    );
  }
  if (policy.issuer === undefined && policy.issuerRegexp === undefined) {
    throw new SigilError(
      'BAD_INPUT',
      '--certificate-oidc-issuer or --certificate-oidc-issuer-regexp is required for verification in keyless mode',
    );
  }
  return compilePartialIdentityPolicy(policy);
}

/** What a refused pattern is called in its error: cosign's flags, or a policy's field names. */
export interface IdentityPatternNames {
  identityRegexp: string;
  issuerRegexp: string;
}

const COSIGN_FLAGS: IdentityPatternNames = {
  identityRegexp: '--certificate-identity-regexp',
  issuerRegexp: '--certificate-oidc-issuer-regexp',
};

/**
 * Compiles a policy that may leave the identity or the issuer (or both) open, as Kyverno's keyless
 * attestors with their own `roots` may: what the policy does not constrain is not checked, not even for
 * presence (a private CA's certificates need not name an OIDC issuer).
 */
export function compilePartialIdentityPolicy(
  policy: IdentityPolicy,
  names: IdentityPatternNames = COSIGN_FLAGS,
): CompiledIdentityPolicy {
  const identityPattern = compile(policy.identityRegexp, names.identityRegexp);
  const issuerPattern = compile(policy.issuerRegexp, names.issuerRegexp);
  const unanchored = [policy.identityRegexp, policy.issuerRegexp].filter(
    (pattern): pattern is string => pattern !== undefined && !ANCHORED.test(pattern),
  );
  const checksIssuer = policy.issuer !== undefined || issuerPattern !== undefined;
  const checksIdentity = policy.identity !== undefined || identityPattern !== undefined;
  return {
    unanchored,
    matches(identity) {
      const issuer = identity.issuer;
      if (checksIssuer) {
        // As in cosign, a regexp is matched against "" when the certificate names no issuer (a private
        // CA's certificate: `--certificate-oidc-issuer-regexp '.*'` accepts it); an exact issuer never is.
        if (issuer === undefined && policy.issuer !== undefined)
          return 'the certificate names no OIDC issuer';
        const issuerOk =
          policy.issuer !== undefined ? issuer === policy.issuer : issuerPattern?.test(issuer ?? '');
        if (!issuerOk) {
          return `${issuer === undefined ? 'the certificate names no OIDC issuer, which' : `issuer ${issuer}`} does not match ${describe(policy.issuer, policy.issuerRegexp)}`;
        }
      }
      const subjectOk =
        !checksIdentity ||
        identity.subjects.some((subject) =>
          policy.identity !== undefined ? subject === policy.identity : identityPattern?.test(subject),
        );
      if (!subjectOk) {
        return `none of the certificate's identities [${identity.subjects.join(', ')}] matches ${describe(policy.identity, policy.identityRegexp)}`;
      }
      for (const field of GITHUB_FIELDS) {
        const want = policy[field];
        if (want !== undefined && identity[field] !== want) {
          return `${field} is ${identity[field] ?? 'absent'}, expected ${want}`;
        }
      }
      return undefined;
    },
  };
}

function describe(exact: string | undefined, pattern: string | undefined): string {
  return exact !== undefined ? `"${exact}"` : `/${pattern}/`;
}

/** Anchored at the start: `^` or `\A`, after any leading flag groups such as `(?i)`. */
const ANCHORED = /^(?:\(\?[imsU-]*\))*(?:\^|\\A)/;

/** cosign compiles these with Go's regexp.Compile, so sigil reads them with Go's meaning (RE2). */
function compile(pattern: string | undefined, name: string): GoRegexp | undefined {
  return pattern === undefined ? undefined : compileGoRegexp(pattern, name);
}
