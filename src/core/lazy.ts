/**
 * Values built, and dependencies loaded, on first use instead of at import. A `sigil` process runs one
 * command, and the barrels put servers, databases, token drivers and validation schemas on every
 * command's import graph; building them eagerly cost a client command (`verify-blob`, `sign`) most of
 * its start-up time.
 */
import { createRequire } from 'node:module';
import { SigilError } from './errors.js';

const require = createRequire(import.meta.url);

/** `make()` on the first call, the same value after. */
export function lazy<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => {
    made ??= { value: make() };
    return made.value;
  };
}

/** A CommonJS package, required on the first call; callers keep its types with `import type`. */
export function lazyRequire<T>(id: string): () => T {
  return lazy(() => require(id) as T);
}

/**
 * An optional dependency with a native build (better-sqlite3, pkcs11js), required on the first call. A
 * client-only install (`npm install --omit=optional`, or a machine without a C++ toolchain, where npm
 * drops the optional packages whose build fails) has none, and signs and verifies without them; the
 * feature that needs one then fails with one line naming the module and `usedFor`, instead of a stack.
 */
export function lazyOptionalRequire<T>(id: string, usedFor: string): () => T {
  return lazy(() => {
    try {
      return require(id) as T;
    } catch (err) {
      if (!isAbsentOrUnbuilt(err, id)) throw err;
      throw new SigilError(
        'MISSING_MODULE',
        `${usedFor} needs the optional module ${id}, which is not installed`,
        `npm install ${id} beside sigil (npm install -g ${id} for a global sigil); it builds with a C++ toolchain`,
        { cause: err },
      );
    }
  });
}

/** The package is absent, or present without its compiled addon (pkcs11js requires its build at load). */
function isAbsentOrUnbuilt(err: unknown, id: string): boolean {
  const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown };
  return (
    code === 'MODULE_NOT_FOUND' &&
    typeof message === 'string' &&
    (message.includes(`'${id}'`) || message.includes('.node'))
  );
}

/**
 * zod for the few schemas on a client command's path (a kubeconfig, a crypto11 config), built on first
 * use. This is zod's CommonJS build; the policy engine imports the ES one. Each schema is built and used
 * by one module, so the two copies never meet.
 */
export const loadZod = lazyRequire<typeof import('zod')>('zod');

/** yaml, for the commands that read or write YAML (one CommonJS build, so `import` and this share it). */
export const loadYaml = lazyRequire<typeof import('yaml')>('yaml');

/**
 * The @peculiar ASN.1 schemas (X.509, CMS, timestamps, CSRs): importing them costs more than the rest of
 * a client command's start-up, and a key-based verification parses no certificate. CommonJS only, so
 * these and any `import` share one copy (their schema registry must be one).
 */
export const loadAsn1Schema = lazyRequire<typeof import('@peculiar/asn1-schema')>('@peculiar/asn1-schema');
export const loadAsn1X509 = lazyRequire<typeof import('@peculiar/asn1-x509')>('@peculiar/asn1-x509');
export const loadAsn1Cms = lazyRequire<typeof import('@peculiar/asn1-cms')>('@peculiar/asn1-cms');
export const loadAsn1Tsp = lazyRequire<typeof import('@peculiar/asn1-tsp')>('@peculiar/asn1-tsp');
export const loadAsn1Csr = lazyRequire<typeof import('@peculiar/asn1-csr')>('@peculiar/asn1-csr');
