/**
 * The binding between a signature and the image it is checked against: the signed payload must name the
 * image's manifest digest, claim the image's repository, and carry every annotation the verifier requires.
 */
import type { Digest } from '../core/index.js';
import { missingAnnotations, type SimpleSigningPayload } from '../formats/index.js';
import { parseReference, type Repository, repositoryName } from '../oci/index.js';

export interface ClaimExpectations {
  digest: Digest;
  repository: Repository;
  annotations?: Record<string, string>;
  /**
   * Compare the payload's docker-reference with `repository`. cosign does not: the digest is the binding,
   * and an image copied to a mirror keeps its signature, whose docker-reference names the original.
   */
  checkDockerReference: boolean;
}

/** The problems found, each a short phrase; empty when the payload matches. */
export function claimProblems(payload: SimpleSigningPayload, want: ClaimExpectations): string[] {
  const problems: string[] = [];
  const signedDigest = payload.critical.image['docker-manifest-digest'];
  if (signedDigest !== want.digest) {
    problems.push(`payload is for digest ${signedDigest}, not ${want.digest}`);
  }
  if (want.checkDockerReference) {
    const claimed = payload.critical.identity['docker-reference'];
    const expected = repositoryName(want.repository);
    if (claimedRepository(claimed) !== expected) {
      problems.push(`payload claims docker-reference ${JSON.stringify(claimed)}, not ${expected}`);
    }
  }
  const missing = want.annotations ? missingAnnotations(payload, want.annotations) : [];
  if (missing.length > 0) problems.push(`missing or incorrect annotation ${missing.join(', ')}`);
  return problems;
}

/**
 * The repository a docker-reference names, normalised as cosign writes it. The claim may carry a tag or
 * digest (`--sign-container-identity`); an unparseable claim matches nothing.
 */
function claimedRepository(claimed: string): string | undefined {
  try {
    return repositoryName(parseReference(claimed));
  } catch {
    return undefined;
  }
}
