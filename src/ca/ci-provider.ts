/**
 * Fulcio's generic CI provider (issuer type `ci-provider`): instead of code per CI system, the config's
 * top-level `CIIssuerMetadata` map names each provider's default values, a claim template per Sigstore
 * extension, and the template of the URI subject alternative name. An issuer points at one entry with
 * `CIProvider`. The challenge is the token's `sub`, as for every CI identity.
 */
import { isRecord, SigilError } from '../core/index.js';
import { type ClaimTemplate, compileClaimTemplate } from './ci-template.js';
import {
  type Claims,
  type Identity,
  requireClaim,
  SIGSTORE_OID,
  type SigstoreExtensionName,
  sigstoreExtension,
} from './identity.js';

export interface CiProvider {
  name: string;
  /** Values templates fall back to when the token lacks the claim (claims win, as in Fulcio). */
  defaults: Record<string, string>;
  extensions: Map<SigstoreExtensionName, ClaimTemplate>;
  subjectAlternativeName: ClaimTemplate;
}

/** Fulcio fills these from the token itself and ignores templates for them. */
const TOKEN_FIELDS = new Set(['issuer', 'subject']);
const TEMPLATED: readonly SigstoreExtensionName[] = (
  Object.keys(SIGSTORE_OID) as SigstoreExtensionName[]
).filter((name) => !['issuerV1', 'issuerV2', 'tokenSubject'].includes(name));

/**
 * Fulcio's JSON names its extensions by Go field (`BuildSignerURI`, matched case-insensitively) and its
 * YAML by kebab case (`build-signer-uri`); both reduce to our names once case and dashes are dropped.
 */
const fold = (name: string) => name.toLowerCase().replace(/[-_]/g, '');
const BY_FOLDED_NAME = new Map(TEMPLATED.map((name) => [fold(name), name]));

export function parseCiIssuerMetadata(value: unknown, where: string): Map<string, CiProvider> {
  const providers = new Map<string, CiProvider>();
  if (value === undefined) return providers;
  if (!isRecord(value)) throw new SigilError('BAD_JSON', `${where} must be an object`);
  for (const [name, entry] of Object.entries(value)) {
    providers.set(name, parseProvider(name, entry, `${where}["${name}"]`));
  }
  return providers;
}

function parseProvider(name: string, entry: unknown, at: string): CiProvider {
  if (!isRecord(entry)) throw new SigilError('BAD_JSON', `${at} must be an object`);
  const defaults = stringMap(entry.DefaultTemplateValues, `${at}.DefaultTemplateValues`);
  const extensions = new Map<SigstoreExtensionName, ClaimTemplate>();
  const templates = stringMap(entry.ExtensionTemplates, `${at}.ExtensionTemplates`);
  for (const [field, source] of Object.entries(templates)) {
    if (TOKEN_FIELDS.has(fold(field)) || source.trim() === '') continue;
    const extension = BY_FOLDED_NAME.get(fold(field));
    if (!extension) {
      throw new SigilError(
        'BAD_JSON',
        `${at}.ExtensionTemplates: unknown extension "${field}" (known: ${TEMPLATED.join(', ')})`,
      );
    }
    extensions.set(extension, compileClaimTemplate(source, `${at}.ExtensionTemplates.${field}`));
  }
  const san = entry.SubjectAlternativeNameTemplate;
  if (typeof san !== 'string' || san.trim() === '') {
    throw new SigilError('BAD_JSON', `${at}.SubjectAlternativeNameTemplate must be a non-empty template`);
  }
  return {
    name,
    defaults,
    extensions,
    subjectAlternativeName: compileClaimTemplate(san, `${at}.SubjectAlternativeNameTemplate`),
  };
}

function stringMap(value: unknown, at: string): Record<string, string> {
  if (value === undefined) return {};
  if (!isRecord(value) || Object.values(value).some((item) => typeof item !== 'string')) {
    throw new SigilError('BAD_JSON', `${at} must be an object of strings`);
  }
  return value as Record<string, string>;
}

export function ciProviderIdentity(claims: Claims, provider: CiProvider): Identity {
  const data = { ...provider.defaults, ...claims };
  const where = `ci-provider "${provider.name}"`;
  const san = provider.subjectAlternativeName.render(data);
  if (!URL.canParse(san)) {
    throw new SigilError('BAD_TOKEN', `${where}: the subject alternative name "${san}" is not a URI`);
  }
  const extensions: Identity['extensions'] = [];
  // In Fulcio's order (by OID), leaving out extensions whose value came out empty, as Fulcio does.
  for (const name of TEMPLATED) {
    const value = provider.extensions.get(name)?.render(data);
    if (value) extensions.push(sigstoreExtension(name, value));
  }
  return { subjectAltNames: { uri: san }, challenge: requireClaim(claims, 'sub'), extensions };
}
