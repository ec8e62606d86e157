/**
 * The issuer types whose identity is the token's `sub` confined to a domain the CA operator configured:
 * `spiffe` (a SPIFFE ID inside `SPIFFETrustDomain`), `uri` (a URI on `SubjectDomain`'s scheme and host)
 * and `username` (`sub!SubjectDomain` as an OtherName SAN). Fulcio checks when it reads its config that
 * the domain belongs to the issuer (same two last DNS labels), because whoever runs the issuer could
 * otherwise claim names in anyone's domain; the same checks run here.
 */
import { SigilError } from '../core/index.js';
import { type Claims, type Identity, requireClaim, USERNAME_OTHER_NAME_OID } from './identity.js';

/** SPIFFE IDs (spiffe.io/docs/latest/spiffe-specs/spiffe-id): lowercase trust domain, path segments. */
const SPIFFE_ID = /^spiffe:\/\/([a-z0-9._-]+)((?:\/[A-Za-z0-9._-]+)*)$/;
const TRUST_DOMAIN = /^[a-z0-9._-]+$/;
/** A plausible email address, which Fulcio refuses as a uri or username subject (it is an email identity). */
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

/** The trust domain of a `SPIFFETrustDomain` setting, which may be a bare name or a `spiffe://` ID. */
export function parseTrustDomain(value: string, at: string): string {
  const domain = value.includes('://') ? SPIFFE_ID.exec(value)?.[1] : value;
  if (!domain || !TRUST_DOMAIN.test(domain)) {
    throw new SigilError(
      'BAD_JSON',
      `${at}: "${value}" is not a SPIFFE trust domain (lowercase letters, digits, ".", "-", "_")`,
    );
  }
  return domain;
}

export function spiffeIdentity(claims: Claims, trustDomain: string | undefined): Identity {
  const sub = requireClaim(claims, 'sub');
  const match = SPIFFE_ID.exec(sub);
  const segments = match?.[2]?.split('/').slice(1) ?? [];
  if (!match || segments.some((segment) => segment === '.' || segment === '..')) {
    throw new SigilError('BAD_TOKEN', `the token's subject "${sub}" is not a SPIFFE ID`);
  }
  if (!trustDomain)
    throw new SigilError('BAD_TOKEN', 'the spiffe issuer has no SPIFFETrustDomain configured');
  if (match[1] !== parseTrustDomain(trustDomain, 'SPIFFETrustDomain')) {
    throw new SigilError(
      'BAD_TOKEN',
      `the SPIFFE ID "${sub}" is outside the issuer's trust domain "${trustDomain}" (its trust domain is "${match[1]}")`,
    );
  }
  return { subjectAltNames: { uri: sub }, challenge: sub, extensions: [] };
}

export function uriIdentity(claims: Claims, subjectDomain: string | undefined): Identity {
  const sub = requireClaim(claims, 'sub');
  notAnEmail(sub, 'uri');
  if (!subjectDomain) throw new SigilError('BAD_TOKEN', 'the uri issuer has no SubjectDomain configured');
  if (!URL.canParse(sub)) throw new SigilError('BAD_TOKEN', `the token's subject "${sub}" is not a URI`);
  const subject = new URL(sub);
  const domain = URL.canParse(subjectDomain) ? new URL(subjectDomain) : undefined;
  if (subject.protocol !== domain?.protocol || subject.hostname !== domain.hostname) {
    throw new SigilError(
      'BAD_TOKEN',
      `the token's subject "${sub}" is outside the issuer's SubjectDomain ${subjectDomain} (scheme and host must match)`,
    );
  }
  return { subjectAltNames: { uri: sub }, challenge: sub, extensions: [] };
}

export function usernameIdentity(claims: Claims, subjectDomain: string | undefined): Identity {
  const sub = requireClaim(claims, 'sub');
  // `!` separates the username from the domain in the certificate, so it cannot be part of either.
  if (sub.includes('!')) throw new SigilError('BAD_TOKEN', `the username "${sub}" contains "!"`);
  notAnEmail(sub, 'username');
  if (!subjectDomain)
    throw new SigilError('BAD_TOKEN', 'the username issuer has no SubjectDomain configured');
  return {
    subjectAltNames: { otherName: { oid: USERNAME_OTHER_NAME_OID, value: `${sub}!${subjectDomain}` } },
    challenge: sub,
    extensions: [],
  };
}

function notAnEmail(sub: string, type: string): void {
  if (EMAIL.test(sub)) {
    throw new SigilError('BAD_TOKEN', `the ${type} issuer's subject "${sub}" is an email address`);
  }
}

/**
 * Fulcio's config checks for the domain-bound types: `uri` needs a SubjectDomain URL with the issuer's
 * scheme, `username` a bare domain name; either way the domain must share its last two labels with the
 * issuer's host (or equal it).
 */
export function checkSubjectDomain(
  type: 'uri' | 'username',
  subjectDomain: unknown,
  issuerUrl: string,
  at: string,
): string {
  if (typeof subjectDomain !== 'string' || subjectDomain === '') {
    throw new SigilError('BAD_JSON', `${at}: a ${type} issuer must have SubjectDomain set`);
  }
  const issuer = URL.canParse(issuerUrl) ? new URL(issuerUrl) : undefined;
  if (!issuer) throw new SigilError('BAD_JSON', `${at}: the issuer URL ${issuerUrl} has no scheme`);
  let domainHost = subjectDomain;
  if (type === 'uri') {
    const domain = /^[a-z][a-z0-9+.-]*:/i.test(subjectDomain) && URL.canParse(subjectDomain);
    if (!domain) {
      throw new SigilError('BAD_JSON', `${at}.SubjectDomain "${subjectDomain}" must be a URL with a scheme`);
    }
    const url = new URL(subjectDomain);
    if (url.protocol !== issuer.protocol) {
      throw new SigilError(
        'BAD_JSON',
        `${at}.SubjectDomain "${subjectDomain}" and the issuer ${issuerUrl} must use the same scheme`,
      );
    }
    domainHost = url.hostname;
  } else if (subjectDomain.includes('://')) {
    throw new SigilError(
      'BAD_JSON',
      `${at}.SubjectDomain "${subjectDomain}" must be a domain name, not a URL`,
    );
  }
  if (!sameRegisteredDomain(domainHost, issuer.hostname)) {
    throw new SigilError(
      'BAD_JSON',
      `${at}.SubjectDomain "${subjectDomain}" is not in the issuer's domain (${issuer.hostname}): the last two DNS labels must match`,
    );
  }
  return subjectDomain;
}

/** Fulcio's rule (it names its own gap: co.uk-style suffixes pass): equal hosts, or equal last two labels. */
function sameRegisteredDomain(subjectHost: string, issuerHost: string): boolean {
  if (subjectHost === issuerHost) return true;
  const subject = subjectHost.split('.');
  const issuer = issuerHost.split('.');
  if (subject.length < 2 || issuer.length < 2) return false;
  return subject.slice(-2).join('.') === issuer.slice(-2).join('.');
}
