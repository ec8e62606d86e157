/**
 * notation's OCI trust policy document (version 1.0): statements with registry scopes, a signature
 * verification level (strict, permissive, audit, skip) and per-check overrides, trust stores and trusted
 * identities. Loaded from trustpolicy.oci.json, else trustpolicy.json (as notation 1.2+), and validated
 * whole before use with notation's rules: a document notation would refuse is refused here too.
 */
import { existsSync, lstatSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isRecord, parseJson, SigilError } from '../core/index.js';
import { checkFileName, isTrustStoreType, type TrustStoreType } from './config-dir.js';
import { type DistinguishedName, isSubsetDn, parseDistinguishedName } from './distinguished-name.js';

export const VALIDATION_TYPES = [
  'integrity',
  'authenticity',
  'authenticTimestamp',
  'expiry',
  'revocation',
] as const;
export type ValidationType = (typeof VALIDATION_TYPES)[number];
export type ValidationAction = 'enforce' | 'log' | 'skip';
export type Enforcement = Record<ValidationType, ValidationAction>;

export const LEVELS: Record<string, Enforcement> = {
  strict: {
    integrity: 'enforce',
    authenticity: 'enforce',
    authenticTimestamp: 'enforce',
    expiry: 'enforce',
    revocation: 'enforce',
  },
  permissive: {
    integrity: 'enforce',
    authenticity: 'enforce',
    authenticTimestamp: 'log',
    expiry: 'log',
    revocation: 'log',
  },
  audit: {
    integrity: 'enforce',
    authenticity: 'log',
    authenticTimestamp: 'log',
    expiry: 'log',
    revocation: 'log',
  },
  skip: {
    integrity: 'skip',
    authenticity: 'skip',
    authenticTimestamp: 'skip',
    expiry: 'skip',
    revocation: 'skip',
  },
};

export interface TrustStoreRef {
  type: TrustStoreType;
  name: string;
}

export interface TrustPolicyStatement {
  name: string;
  registryScopes: string[];
  level: string;
  enforcement: Enforcement;
  /** `always` (default) or `afterCertExpiry`. */
  verifyTimestamp: 'always' | 'afterCertExpiry';
  trustStores: TrustStoreRef[];
  /** undefined: the wildcard identity `*`. */
  trustedIdentities: { raw: string; dn: DistinguishedName }[] | undefined;
}

export interface TrustPolicyDocument {
  /** The file it came from, for messages. */
  source: string;
  statements: TrustPolicyStatement[];
}

export const OCI_POLICY_FILE = 'trustpolicy.oci.json';
export const POLICY_FILE = 'trustpolicy.json';

/** trustpolicy.oci.json, else trustpolicy.json, from notation's configuration directory. */
export function loadTrustPolicy(configDir: string): TrustPolicyDocument {
  for (const file of [OCI_POLICY_FILE, POLICY_FILE]) {
    const path = join(configDir, file);
    if (!existsSync(path)) continue;
    if (!lstatSync(path).isFile()) {
      throw new SigilError(
        'BAD_INPUT',
        `${path}: trust policy is not a regular file (symlinks are not supported)`,
      );
    }
    return parseTrustPolicy(readFileSync(path), path);
  }
  throw new SigilError(
    'NOT_FOUND',
    `no trust policy: neither ${OCI_POLICY_FILE} nor ${POLICY_FILE} is in ${configDir}`,
    'write one (see docs/notation.md) or point XDG_CONFIG_HOME at the configuration that has it',
  );
}

function fail(source: string, what: string): SigilError {
  return new SigilError('BAD_INPUT', `${source}: ${what}`);
}

function stringList(value: unknown, source: string, what: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string'))
    throw fail(source, `${what} must be a list of strings`);
  return value;
}

export function parseTrustPolicy(bytes: Uint8Array | string, source: string): TrustPolicyDocument {
  const doc = parseJson(bytes, source);
  if (!isRecord(doc)) throw fail(source, 'malformed trust policy');
  if (doc.version === undefined || doc.version === '') throw fail(source, 'trust policy has no version');
  if (doc.version !== '1.0')
    throw fail(source, `unsupported trust policy version ${JSON.stringify(doc.version)}`);
  if (!Array.isArray(doc.trustPolicies) || doc.trustPolicies.length === 0) {
    throw fail(source, 'trust policy has no statements');
  }
  const names = new Set<string>();
  const scopeOwners = new Map<string, string>();
  const statements = doc.trustPolicies.map((raw, i) => {
    if (!isRecord(raw)) throw fail(source, `trustPolicies[${i}] is not an object`);
    const statement = parseStatement(raw, source);
    if (names.has(statement.name))
      throw fail(source, `two statements are named ${JSON.stringify(statement.name)}`);
    names.add(statement.name);
    for (const scope of statement.registryScopes) {
      const owner = scopeOwners.get(scope);
      if (owner)
        throw fail(
          source,
          `registry scope ${JSON.stringify(scope)} is in statements ${JSON.stringify(owner)} and ${JSON.stringify(statement.name)}`,
        );
      scopeOwners.set(scope, statement.name);
    }
    return statement;
  });
  return { source, statements };
}

const DOMAIN =
  /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))+)?(?::[0-9]+)?$/;
const REPOSITORY =
  /^[a-z0-9]+(?:(?:(?:[._]|__|[-]*)[a-z0-9]+)+)?(?:(?:\/[a-z0-9]+(?:(?:(?:[._]|__|[-]*)[a-z0-9]+)+)?)+)?$/;

function validScope(scope: string): boolean {
  const slash = scope.indexOf('/');
  if (slash < 0 || scope.includes('*')) return false;
  return DOMAIN.test(scope.slice(0, slash)) && REPOSITORY.test(scope.slice(slash + 1));
}

function parseStatement(raw: Record<string, unknown>, source: string): TrustPolicyStatement {
  const name = raw.name;
  if (typeof name !== 'string' || name === '') throw fail(source, 'a trust policy statement has no name');
  const where = `${source}: statement ${JSON.stringify(name)}`;
  const bad = (what: string) => new SigilError('BAD_INPUT', `${where}: ${what}`);
  const verification = raw.signatureVerification;
  if (!isRecord(verification) || typeof verification.level !== 'string' || verification.level === '') {
    throw bad('signatureVerification.level is missing');
  }
  const base = LEVELS[verification.level];
  if (!base) throw bad(`invalid signature verification level ${JSON.stringify(verification.level)}`);
  const enforcement: Enforcement = { ...base };
  const override = verification.override ?? {};
  if (!isRecord(override)) throw bad('signatureVerification.override must be an object');
  if (Object.keys(override).length > 0 && verification.level === 'skip') {
    throw bad('level "skip" cannot be customized with overrides');
  }
  for (const [type, action] of Object.entries(override)) {
    if (!(VALIDATION_TYPES as readonly string[]).includes(type))
      throw bad(`override of unknown check ${JSON.stringify(type)}`);
    if (action !== 'enforce' && action !== 'log' && action !== 'skip')
      throw bad(`override ${type}: unknown action ${JSON.stringify(action)}`);
    if (type === 'integrity') throw bad('"integrity" cannot be overridden');
    if (type !== 'revocation' && action === 'skip') throw bad(`"${type}" cannot be skipped`);
    enforcement[type as ValidationType] = action;
  }
  const verifyTimestamp = verification.verifyTimestamp ?? 'always';
  if (verifyTimestamp !== 'always' && verifyTimestamp !== 'afterCertExpiry') {
    throw bad(
      `verifyTimestamp must be "always" or "afterCertExpiry", not ${JSON.stringify(verifyTimestamp)}`,
    );
  }
  const stores = stringList(raw.trustStores, where, 'trustStores');
  const identities = stringList(raw.trustedIdentities, where, 'trustedIdentities');
  const registryScopes = stringList(raw.registryScopes, where, 'registryScopes');
  if (registryScopes.length === 0) throw bad('has no registry scopes');
  if (registryScopes.length > 1 && registryScopes.includes('*'))
    throw bad('the wildcard scope "*" cannot be used with other scopes');
  for (const scope of registryScopes) {
    if (scope !== '*' && !validScope(scope))
      throw bad(`registry scope ${JSON.stringify(scope)} is not a repository like registry.example/my/repo`);
  }
  if (verification.level === 'skip') {
    if (stores.length > 0 || identities.length > 0)
      throw bad('level "skip" must not name trust stores or trusted identities');
  } else if (stores.length === 0 || identities.length === 0) {
    throw bad('needs both trustStores and trustedIdentities');
  }
  const trustStores = stores.map((store) => {
    const colon = store.indexOf(':');
    const type = store.slice(0, colon);
    if (colon < 0) throw bad(`trust store ${JSON.stringify(store)} is not <type>:<name>`);
    if (!isTrustStoreType(type)) throw bad(`trust store ${JSON.stringify(store)} has an unsupported type`);
    return { type, name: checkFileName(store.slice(colon + 1), `${where}: trust store`) };
  });
  return {
    name,
    registryScopes,
    level: verification.level,
    enforcement,
    verifyTimestamp,
    trustStores,
    trustedIdentities: parseIdentities(identities, bad),
  };
}

function parseIdentities(
  identities: string[],
  bad: (what: string) => SigilError,
): TrustPolicyStatement['trustedIdentities'] {
  if (identities.includes('*')) {
    if (identities.length > 1) throw bad('the wildcard identity "*" cannot be used with other identities');
    return undefined;
  }
  const parsed: { raw: string; dn: DistinguishedName }[] = [];
  for (const identity of identities) {
    if (identity === '') throw bad('has an empty trusted identity');
    const colon = identity.indexOf(':');
    if (colon < 0) throw bad(`trusted identity ${JSON.stringify(identity)} has no "<type>:" prefix`);
    if (identity.slice(0, colon) !== 'x509.subject') continue;
    const value = identity.slice(colon + 1);
    if (value === '') throw bad(`trusted identity ${JSON.stringify(identity)} has no value`);
    try {
      parsed.push({ raw: identity, dn: parseDistinguishedName(value) });
    } catch (err) {
      throw bad(`trusted identity ${JSON.stringify(identity)}: ${(err as Error).message}`);
    }
  }
  for (const a of parsed) {
    for (const b of parsed) {
      if (a !== b && isSubsetDn(a.dn, b.dn))
        throw bad(`trusted identities ${JSON.stringify(a.raw)} and ${JSON.stringify(b.raw)} overlap`);
    }
  }
  return parsed;
}

/**
 * The statement for an artifact at `repository` (registry/repository, no tag): the one naming it in its
 * scopes, else the wildcard one; NOT_FOUND when neither exists.
 */
export function applicableTrustPolicy(doc: TrustPolicyDocument, repository: string): TrustPolicyStatement {
  const exact = doc.statements.find((s) => s.registryScopes.includes(repository));
  const found = exact ?? doc.statements.find((s) => s.registryScopes.includes('*'));
  if (!found) {
    throw new SigilError(
      'POLICY_VIOLATION',
      `no trust policy statement applies to ${repository} (registryScopes in ${doc.source})`,
    );
  }
  return found;
}
