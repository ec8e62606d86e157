/**
 * Fulcio's config file in YAML. Fulcio reads its config as JSON and, when that fails, as YAML whose keys are
 * the kebab-case names of its `yaml` struct tags (`oidc-issuers`, `client-id`, `extension-templates`, ...).
 * This turns such a document into the JSON form, renaming keys only where Fulcio has struct fields: the
 * issuer URLs, provider names and template variables that are map keys stay as written.
 */
import { isRecord, loadYaml, SigilError } from '../core/index.js';

/** Words Fulcio's Go field names spell in capitals. */
const UPPERCASE_WORDS = new Set(['ca', 'ci', 'id', 'oidc', 'sha', 'spiffe', 'uri', 'url']);

/** `spiffe-trust-domain` → `SPIFFETrustDomain`, `github-workflow-sha` → `GithubWorkflowSHA`. */
function fieldName(kebab: string): string {
  return kebab
    .split('-')
    .map((word) =>
      UPPERCASE_WORDS.has(word) ? word.toUpperCase() : word.charAt(0).toUpperCase() + word.slice(1),
    )
    .join('');
}

/** An object whose keys are struct fields; `nested` converts the fields that hold maps of structs. */
function renameFields(value: unknown, nested: Record<string, (v: unknown) => unknown> = {}): unknown {
  if (!isRecord(value)) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, field]) => {
      const convert = nested[key];
      return [fieldName(key), convert ? convert(field) : field];
    }),
  );
}

/** A map (keys kept) of structs. */
function mapOf(convert: (v: unknown) => unknown): (v: unknown) => unknown {
  return (value) =>
    isRecord(value) ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, convert(v)])) : value;
}

/**
 * Issuers by URL, CI metadata by provider name. Below them only scalars and maps keyed by claim or
 * extension name (the CI provider reader matches extension names in either spelling), so nothing deeper.
 */
const structsByKey = mapOf((value) => renameFields(value));

/** The JSON form of a Fulcio YAML config, or a one-line error naming the line and what is wrong. */
export function fulcioYamlConfig(text: string, where: string): unknown {
  const document = loadYaml().parseDocument(text, { uniqueKeys: true });
  const [error] = document.errors;
  if (error) {
    const line = error.linePos?.[0]?.line;
    throw new SigilError(
      'BAD_INPUT',
      `${where}${line ? ` (line ${line})` : ''}: neither JSON nor valid YAML: ${error.message.split('\n')[0]?.replace(/ at line \d+, column \d+:$/, '')}`,
    );
  }
  return renameFields(document.toJS(), {
    'oidc-issuers': structsByKey,
    'meta-issuers': structsByKey,
    'ci-issuer-metadata': structsByKey,
  });
}
