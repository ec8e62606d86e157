/**
 * The CA's issuer configuration in Fulcio's own config format, so an existing Fulcio config file works:
 * `{"OIDCIssuers": {"<url>": {"IssuerURL", "ClientID", "Type", ...}}, "MetaIssuers": {"<url with *>":
 * {...}}, "CIIssuerMetadata": {"<provider>": {...}}}`. Everything Fulcio checks when it loads its config
 * is checked here too, so a config the CA accepts cannot fail later for a reason it could have seen.
 * Fulcio's YAML form (kebab-case keys) is read too.
 */
import { isRecord, parseJson, SigilError } from '../core/index.js';
import { type CiProvider, parseCiIssuerMetadata } from './ci-provider.js';
import { fulcioYamlConfig } from './config-yaml.js';
import { checkSubjectDomain, parseTrustDomain } from './domain-identities.js';
import { ISSUER_TYPES, type IssuerType } from './profile.js';
import type { IssuerConfig } from './token-verifier.js';

export function parseFulcioConfig(text: string | Uint8Array, where: string): IssuerConfig[] {
  const source = typeof text === 'string' ? text : Buffer.from(text).toString('utf8');
  // As Fulcio: JSON, else YAML. A document that opens like JSON gets the JSON parser's complaint.
  const json = source.trimStart().startsWith('{')
    ? parseJson(source, where)
    : fulcioYamlConfig(source, where);
  const issuers = isRecord(json) ? json.OIDCIssuers : undefined;
  const metaIssuers = isRecord(json) ? (json.MetaIssuers ?? {}) : undefined;
  if (!isRecord(json) || !isRecord(issuers) || !isRecord(metaIssuers)) {
    throw new SigilError(
      'BAD_JSON',
      `${where}: expected {"OIDCIssuers": {...}} (optionally with "MetaIssuers" and "CIIssuerMetadata" objects; in YAML oidc-issuers, meta-issuers, ci-issuer-metadata)`,
    );
  }
  const providers = parseCiIssuerMetadata(json.CIIssuerMetadata, `${where}: CIIssuerMetadata`);
  return [
    ...Object.entries(issuers).map(([url, entry]) =>
      parseIssuer(url, entry, false, providers, `${where}: OIDCIssuers["${url}"]`),
    ),
    ...Object.entries(metaIssuers).map(([url, entry]) =>
      parseIssuer(url, entry, true, providers, `${where}: MetaIssuers["${url}"]`),
    ),
  ];
}

function parseIssuer(
  url: string,
  entry: unknown,
  wildcard: boolean,
  providers: Map<string, CiProvider>,
  at: string,
): IssuerConfig {
  if (!isRecord(entry)) throw new SigilError('BAD_JSON', `${at} must be an object`);
  const type = entry.Type;
  if (typeof type !== 'string' || !ISSUER_TYPES.includes(type as IssuerType)) {
    throw new SigilError(
      'UNSUPPORTED',
      `${at}.Type "${String(type)}" is not supported (supported: ${ISSUER_TYPES.join(', ')})`,
    );
  }
  const clientId = entry.ClientID;
  if (typeof clientId !== 'string' || clientId === '') {
    throw new SigilError('BAD_JSON', `${at}.ClientID must be a non-empty string (the audience tokens carry)`);
  }
  // A meta issuer's key is its pattern; Fulcio takes the URL of a concrete one from IssuerURL if set.
  const issuerUrl = !wildcard && typeof entry.IssuerURL === 'string' ? entry.IssuerURL : url;
  const issuer: IssuerConfig = { issuerUrl, clientId, type: type as IssuerType };
  if (wildcard) issuer.wildcard = true;
  switch (type as IssuerType) {
    case 'spiffe':
      // One pattern would stand for many issuers sharing a trust domain, which Fulcio refuses too.
      if (wildcard) throw new SigilError('UNSUPPORTED', `${at}: spiffe issuers cannot be meta issuers`);
      if (typeof entry.SPIFFETrustDomain !== 'string' || entry.SPIFFETrustDomain === '') {
        throw new SigilError('BAD_JSON', `${at}: a spiffe issuer must have SPIFFETrustDomain set`);
      }
      issuer.spiffeTrustDomain = parseTrustDomain(entry.SPIFFETrustDomain, `${at}.SPIFFETrustDomain`);
      break;
    case 'uri':
    case 'username':
      issuer.subjectDomain = checkSubjectDomain(
        type as 'uri' | 'username',
        entry.SubjectDomain,
        issuerUrl,
        at,
      );
      break;
    case 'ci-provider':
      issuer.ciProvider = ciProviderOf(entry.CIProvider, providers, at);
      break;
  }
  return issuer;
}

function ciProviderOf(name: unknown, providers: Map<string, CiProvider>, at: string): CiProvider {
  const provider = typeof name === 'string' ? providers.get(name) : undefined;
  if (!provider) {
    const known = [...providers.keys()].join(', ') || 'none';
    throw new SigilError(
      'BAD_JSON',
      `${at}.CIProvider "${String(name ?? '')}" names no entry of CIIssuerMetadata (configured: ${known})`,
    );
  }
  return provider;
}
