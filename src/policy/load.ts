/**
 * Loads policies from YAML files and directories (multi-document files) into the engine's model, whatever
 * their language: Kyverno `ClusterPolicy` / `Policy`, Kyverno's CEL `ImageValidatingPolicy` (and its
 * namespaced twin), and the Sigstore policy-controller's
 * `ClusterImagePolicy`. Documents of other kinds are skipped, as `kyverno apply` does.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { readUserFile, SigilError } from '../core/index.js';
import { readKyvernoPolicy } from './kyverno/read.js';
import { IMAGE_VALIDATING_KINDS, readImageValidatingPolicy } from './kyverno-cel/read.js';
import type { Policy, PolicySet } from './model.js';
import { readClusterImagePolicy } from './sigstore/read.js';

/** Every `.yaml`/`.yml`/`.json` file under the paths (directories recursively), in a stable order. */
export function policyFiles(paths: string[]): string[] {
  return paths.flatMap((path) => {
    let isDirectory: boolean;
    try {
      isDirectory = statSync(path).isDirectory();
    } catch {
      throw new SigilError('IO_ERROR', `${path}: no such file or directory`);
    }
    if (!isDirectory) return [path];
    return policyFiles(
      readdirSync(path)
        .filter((name) => !name.startsWith('.'))
        .sort()
        .map((name) => join(path, name))
        .filter((p) => statSync(p).isDirectory() || /\.(ya?ml|json)$/.test(p)),
    );
  });
}

/** YAML documents of a file, with their positions for messages; a syntax error names file and line. */
export function yamlDocuments(file: string): { document: unknown; where: string }[] {
  const text = readUserFile(file, 'policy file').toString('utf8');
  return parseAllDocuments(text).flatMap((doc, i) => {
    const where = `${file}: document ${i + 1}`;
    const error = doc.errors[0];
    if (error) {
      const line = error.linePos?.[0]?.line;
      throw new SigilError(
        'BAD_INPUT',
        `${where}${line ? ` (line ${line})` : ''}: invalid YAML: ${error.message.split('\n')[0]}`,
      );
    }
    const document: unknown = doc.toJS();
    return document === null || document === undefined ? [] : [{ document, where }];
  });
}

export function loadPolicies(paths: string[]): PolicySet {
  const policies: Policy[] = [];
  for (const file of policyFiles(paths)) {
    for (const { document, where } of yamlDocuments(file)) {
      const policy = policyOfDocument(document, where);
      if (policy) policies.push(policy);
    }
  }
  const names = new Set<string>();
  for (const p of policies) {
    const id = `${p.origin ?? 'Kyverno'}/${p.namespace ?? ''}/${p.name}`;
    if (names.has(id)) throw new SigilError('BAD_INPUT', `${p.source}: policy ${p.name} is defined twice`);
    names.add(id);
  }
  return { policies };
}

/**
 * The policy of one document, by its kind and API group, or undefined for documents that are no policy
 * (OpenShift's config.openshift.io ClusterImagePolicy, for one, is not the policy-controller's).
 */
function policyOfDocument(document: unknown, where: string): Policy | undefined {
  const { kind, apiVersion } = document as { kind?: unknown; apiVersion?: unknown };
  if (kind === 'ClusterPolicy' || kind === 'Policy') return readKyvernoPolicy(document, where);
  if (
    typeof kind === 'string' &&
    IMAGE_VALIDATING_KINDS.includes(kind) &&
    typeof apiVersion === 'string' &&
    apiVersion.startsWith('policies.kyverno.io/')
  ) {
    return readImageValidatingPolicy(document, where);
  }
  if (
    kind === 'ClusterImagePolicy' &&
    typeof apiVersion === 'string' &&
    apiVersion.startsWith('policy.sigstore.dev/')
  ) {
    return readClusterImagePolicy(document, where);
  }
  return undefined;
}
