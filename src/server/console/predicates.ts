/**
 * What the console shows of an attestation's predicate, by type: an SBOM's packages (SPDX or CycloneDX),
 * a vulnerability scan's counts by severity (cosign's vuln predicate over a Trivy or Grype report), and
 * SLSA provenance's builder, source and commit (v0.2 and v1). Anything else is listed by type only.
 */
import { isRecord } from '../../core/index.js';

export interface SbomPackage {
  name: string;
  version?: string;
  purl?: string;
  license?: string;
}

export interface ProvenanceSummary {
  builder?: string;
  buildType?: string;
  source?: string;
  commit?: string;
  invocation?: string;
}

export type PredicateSummary =
  | { kind: 'sbom'; format: string; packages: SbomPackage[] }
  | { kind: 'vulnerabilities'; scanner?: string; bySeverity: Record<string, number> }
  | { kind: 'provenance'; provenance: ProvenanceSummary }
  | { kind: 'other' };

const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const record = (v: unknown): Record<string, unknown> => (isRecord(v) ? v : {});

export function summarizePredicate(predicateType: string, predicate: unknown): PredicateSummary {
  const p = record(predicate);
  if (predicateType.startsWith('https://spdx.dev/Document') || Array.isArray(p.packages)) {
    return {
      kind: 'sbom',
      format: 'SPDX',
      packages: list(p.packages).map((item) => {
        const pkg = record(item);
        const purl = list(pkg.externalRefs)
          .map(record)
          .find((ref) => ref.referenceType === 'purl');
        return compact({
          name: text(pkg.name) ?? '?',
          version: text(pkg.versionInfo),
          purl: text(purl?.referenceLocator),
          license: text(pkg.licenseConcluded) ?? text(pkg.licenseDeclared),
        });
      }),
    };
  }
  if (predicateType.startsWith('https://cyclonedx.org/bom') || Array.isArray(p.components)) {
    return {
      kind: 'sbom',
      format: 'CycloneDX',
      packages: list(p.components).map((item) => {
        const c = record(item);
        const license = record(record(list(c.licenses)[0]).license);
        return compact({
          name: text(c.name) ?? '?',
          version: text(c.version),
          purl: text(c.purl),
          license: text(license.id) ?? text(license.name),
        });
      }),
    };
  }
  if (predicateType === 'https://cosign.sigstore.dev/attestation/vuln/v1') return vulnerabilities(p);
  if (predicateType.startsWith('https://slsa.dev/provenance/'))
    return { kind: 'provenance', provenance: provenance(p) };
  return { kind: 'other' };
}

function vulnerabilities(p: Record<string, unknown>): PredicateSummary {
  const scanner = record(p.scanner);
  const result = record(scanner.result);
  const bySeverity: Record<string, number> = {};
  const count = (severity: unknown) => {
    const key = (text(severity) ?? 'UNKNOWN').toUpperCase();
    bySeverity[key] = (bySeverity[key] ?? 0) + 1;
  };
  // Trivy: Results[].Vulnerabilities[].Severity; Grype: matches[].vulnerability.severity.
  for (const r of list(result.Results))
    for (const v of list(record(r).Vulnerabilities)) count(record(v).Severity);
  for (const m of list(result.matches)) count(record(record(m).vulnerability).severity);
  const name = text(scanner.uri) ?? text(record(scanner).version);
  return { kind: 'vulnerabilities', ...(name ? { scanner: name } : {}), bySeverity };
}

function provenance(p: Record<string, unknown>): ProvenanceSummary {
  // v1: runDetails.builder.id, buildDefinition.{buildType, externalParameters, resolvedDependencies}.
  const definition = record(p.buildDefinition);
  if (Object.keys(definition).length > 0) {
    const external = record(definition.externalParameters);
    const workflow = record(external.workflow);
    const dependency = record(list(definition.resolvedDependencies)[0]);
    return compact({
      builder: text(record(record(p.runDetails).builder).id),
      buildType: text(definition.buildType),
      source: text(workflow.repository) ?? text(dependency.uri) ?? text(external.source),
      commit: text(record(dependency.digest).gitCommit) ?? text(record(dependency.digest).sha1),
      invocation: text(workflow.path) ?? text(record(record(p.runDetails).metadata).invocationId),
    });
  }
  // v0.2: builder.id, buildType, invocation.configSource.{uri, digest, entryPoint}.
  const configSource = record(record(p.invocation).configSource);
  const material = record(list(p.materials)[0]);
  return compact({
    builder: text(record(p.builder).id),
    buildType: text(p.buildType),
    source: text(configSource.uri) ?? text(material.uri),
    commit: text(record(configSource.digest).sha1) ?? text(record(material.digest).sha1),
    invocation: text(configSource.entryPoint),
  });
}

/** Drops the fields that are undefined (the JSON answer and exactOptionalPropertyTypes both want them gone). */
function compact<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as never;
}
