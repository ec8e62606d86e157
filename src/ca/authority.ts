/**
 * The certificate authority: a verified OIDC token and a proven key become a short-lived code-signing
 * certificate for the token's identity, with an embedded SCT from the CA's certificate-transparency log.
 */
import { createPublicKey, type X509Certificate } from 'node:crypto';
import { encodePem, SigilError } from '../core/index.js';
import type { CaMaterial } from './material.js';
import { identityFor } from './profile.js';
import type { SigningCertRequest } from './request.js';
import { type CtLogSigner, ctLogSigner, sctListExtension, signPrecertificate } from './sct.js';
import type { TokenVerifier } from './token-verifier.js';
import { draftCertificate, OID } from './x509.js';

export interface IssuedCertificate {
  /** PEM certificates: the new leaf, then the CA chain up to the root. */
  chain: string[];
}

export interface AuthorityOptions {
  /** Fulcio issues certificates valid for 10 minutes. */
  validityMinutes?: number;
}

export class CertificateAuthority {
  private readonly ctLog: CtLogSigner;
  private readonly validityMs: number;

  constructor(
    private readonly material: CaMaterial,
    readonly tokens: TokenVerifier,
    options: AuthorityOptions = {},
  ) {
    this.ctLog = ctLogSigner(material.ctLogKey, createPublicKey(material.ctLogKey));
    this.validityMs = (options.validityMinutes ?? 10) * 60_000;
  }

  get chain(): readonly X509Certificate[] {
    return this.material.chain;
  }

  get ctLogPublicKey() {
    return createPublicKey(this.material.ctLogKey);
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
    const [issuing] = this.material.chain;
    if (!issuing) throw new SigilError('BAD_CERTIFICATE', 'the CA has no issuing certificate');
    const draft = draftCertificate(
      {
        subject: {},
        issuer: issuing,
        subjectPublicKey: request.publicKey,
        issuerPublicKey: issuing.publicKey,
        notBefore: now,
        notAfter: new Date(now.getTime() + this.validityMs),
        codeSigning: true,
        subjectAltNames: identity.subjectAltNames,
        extra: identity.extensions.map(({ oid, value }) => ({ oid, value })),
      },
      this.material.signer,
    );
    // Precertificate flow: the SCT covers the TBS without the SCT list, which is then appended last.
    const sct = signPrecertificate(this.ctLog, issuing.publicKey, draft.tbsDer(), now.getTime());
    draft.addExtension(OID.sctList, sctListExtension([sct]));
    const leaf = encodePem('CERTIFICATE', await draft.sign());
    return { chain: [leaf, ...this.material.chain.map((cert) => cert.toString())] };
  }
}
