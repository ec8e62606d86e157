/**
 * The certificate authority: a verified OIDC token and a proven key become a short-lived code-signing
 * certificate for the token's identity, with an embedded SCT from a certificate-transparency log
 * (RFC 6962 precertificate flow: the poisoned precertificate is logged first, its SCT then embedded).
 */
import type { X509Certificate } from 'node:crypto';
import { encodePem, SigilError } from '../core/index.js';
import { sctListExtension } from './ct-encoding.js';
import type { CtSubmitter } from './ct-log.js';
import type { CaMaterial } from './material.js';
import { identityFor } from './profile.js';
import type { SigningCertRequest } from './request.js';
import type { TokenVerifier } from './token-verifier.js';
import { type CertificateIssuer, certificateIssuer, draftCertificate, OID } from './x509.js';

const DER_NULL = Buffer.from([0x05, 0x00]);

export interface IssuedCertificate {
  /** PEM certificates: the new leaf, then the CA chain up to the root. */
  chain: string[];
}

export interface AuthorityOptions {
  /** Fulcio issues certificates valid for 10 minutes. */
  validityMinutes?: number;
}

export class CertificateAuthority {
  private readonly validityMs: number;
  // What every certificate repeats from the CA, derived once: the issuer's name and key identifier, and
  // the chain as the CT log receives it (DER) and as clients receive it (PEM).
  private readonly issuer: CertificateIssuer;
  private readonly chainDer: readonly Buffer[];
  private readonly chainPem: readonly string[];

  constructor(
    private readonly material: CaMaterial,
    readonly tokens: TokenVerifier,
    private readonly ctLog: CtSubmitter,
    options: AuthorityOptions = {},
  ) {
    this.validityMs = (options.validityMinutes ?? 10) * 60_000;
    const [issuing] = material.chain;
    if (!issuing) throw new SigilError('BAD_CERTIFICATE', 'the CA has no issuing certificate');
    this.issuer = certificateIssuer(issuing);
    this.chainDer = material.chain.map((cert) => cert.raw);
    this.chainPem = material.chain.map((cert) => cert.toString());
  }

  get chain(): readonly X509Certificate[] {
    return this.material.chain;
  }

  async issue(request: SigningCertRequest, now = new Date()): Promise<IssuedCertificate> {
    const { issuer, claims } = await this.tokens.verify(request.token);
    const identity = identityFor(claims, { ...issuer, issuer: issuer.issuerUrl });
    if (!request.proves(identity.challenge)) {
      throw new SigilError(
        'SIGNATURE_MISMATCH',
        'proof of possession failed: the signature over the token subject does not verify with the given public key',
      );
    }
    const draft = draftCertificate(
      {
        subject: {},
        issuer: this.issuer,
        subjectPublicKey: request.publicKeyInfo,
        notBefore: now,
        notAfter: new Date(now.getTime() + this.validityMs),
        codeSigning: true,
        subjectAltNames: identity.subjectAltNames,
        extra: identity.extensions.map(({ oid, value }) => ({ oid, value })),
      },
      this.material.signer,
    );
    // The poison extension takes the place the SCT list will have, so that the logged TBS (precertificate
    // minus poison) is the final TBS minus its SCT list, as verifiers reconstruct it.
    draft.addExtension(OID.ctPoison, DER_NULL, true);
    const precertificate = await draft.sign();
    const sct = await this.ctLog.submitPrecertificate([precertificate, ...this.chainDer]);
    draft.replaceExtension(OID.ctPoison, OID.sctList, sctListExtension([sct]));
    const leaf = encodePem('CERTIFICATE', await draft.sign());
    return { chain: [leaf, ...this.chainPem] };
  }
}
