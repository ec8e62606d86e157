/**
 * "What would `sigil verify` say?" for the console's image page: the image's cosign signatures verified
 * with a public key the user pastes, or against a certificate identity and OIDC issuer under the
 * deployment's trusted root, with the same functions `sigil verify --key` / `--certificate-identity
 * --certificate-oidc-issuer` run. Nothing is stored; the answer is "verified by ..." or the reason it is not.
 */
import type { TrustedRoot } from '@sigstore/protobuf-specs';
import { isRecord, messageOf, SigilError } from '../../core/index.js';
import { verifyImage } from '../../cosign/index.js';
import { loadPublicKeyPem } from '../../crypto/index.js';
import { parseReference, type RegistryClient } from '../../oci/index.js';
import { compileIdentityPolicy, trustedRootLogKeys } from '../../verify/index.js';

export interface VerifyQuestion {
  ref: string;
  /** A PEM public key (`--key`); or the keyless pair. */
  key?: string;
  identity?: string;
  issuer?: string;
  /** `--insecure-ignore-tlog`: accept signatures without a log entry. */
  ignoreTlog: boolean;
}

export type VerifyAnswer =
  | { verified: true; digest: string; signers: string[] }
  | { verified: false; reason: string };

/** The request body, checked field by field (the route's body limit bounds its size). */
export function parseVerifyQuestion(body: unknown): VerifyQuestion {
  if (!isRecord(body)) throw new SigilError('BAD_INPUT', 'the request body must be a JSON object');
  const text = (name: string): string | undefined => {
    const value = body[name];
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value !== 'string') throw new SigilError('BAD_INPUT', `${name} must be a string`);
    return value.trim();
  };
  const question: VerifyQuestion = { ref: text('ref') ?? '', ignoreTlog: body.ignoreTlog === true };
  for (const name of ['key', 'identity', 'issuer'] as const) {
    const value = text(name);
    if (value) question[name] = value;
  }
  const keyless = question.identity !== undefined || question.issuer !== undefined;
  if (question.key && keyless)
    throw new SigilError('BAD_INPUT', 'give a public key or an identity and issuer, not both');
  if (!question.key && !keyless)
    throw new SigilError('BAD_INPUT', 'give a public key, or a certificate identity and OIDC issuer');
  return question;
}

export async function verifyForConsole(
  client: RegistryClient,
  reference: string,
  question: VerifyQuestion,
  trustedRoot: TrustedRoot | undefined,
): Promise<VerifyAnswer> {
  const image = parseReference(reference);
  // Input mistakes are the caller's (400); everything verifyImage says is the answer.
  const signer = question.key
    ? { publicKey: loadPublicKeyPem(question.key, 'public key') }
    : {
        keyless: {
          policy: compileIdentityPolicy({
            ...(question.identity ? { identity: question.identity } : {}),
            ...(question.issuer ? { issuer: question.issuer } : {}),
          }),
          root: requireRoot(trustedRoot),
          ignoreTlog: question.ignoreTlog,
        },
      };
  const logs =
    trustedRoot && trustedRoot.tlogs.length > 0 ? trustedRootLogKeys(trustedRoot, 'trusted root') : [];
  try {
    const result = await verifyImage({
      client,
      image,
      ...signer,
      ignoreTlog: question.ignoreTlog,
      ...(logs.length > 0 ? { tlog: { logs } } : {}),
      checkDockerReference: false,
      bundles: true,
    });
    return {
      verified: true,
      digest: result.digest,
      signers: result.verified.map((s) =>
        s.keyless
          ? `${s.keyless.identity.subjects[0] ?? 'a certificate'} (issuer ${s.keyless.identity.issuer ?? 'none'})`
          : 'the given key',
      ),
    };
  } catch (err) {
    return { verified: false, reason: messageOf(err) };
  }
}

function requireRoot(root: TrustedRoot | undefined): TrustedRoot {
  if (root) return root;
  throw new SigilError(
    'BAD_INPUT',
    'this console has no trusted root for keyless verification (sigil console serve --trusted-root)',
  );
}
