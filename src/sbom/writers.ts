/** SBOM documents: SPDX 2.3 JSON and CycloneDX 1.6 JSON, deterministic except timestamp and UUIDs. */
import { randomUUID } from 'node:crypto';
import type { SbomPackage } from './model.js';

export type SbomFormat = 'spdx-json' | 'cyclonedx-json';
export const SBOM_FORMATS: readonly SbomFormat[] = ['spdx-json', 'cyclonedx-json'];

export interface SbomSubject {
  /** The image reference or directory the SBOM describes. */
  name: string;
  /** The manifest digest, when the subject is an image. */
  digest?: string;
}

const TOOL = 'sigil';

/** SPDX ids allow only letters, digits, '.' and '-'. */
function spdxId(index: number, pkg: SbomPackage): string {
  return `SPDXRef-Package-${pkg.type}-${pkg.name.replace(/[^A-Za-z0-9.-]/g, '-')}-${index}`;
}

export function writeSpdx(subject: SbomSubject, packages: SbomPackage[], now = new Date()): string {
  const rootId = 'SPDXRef-DocumentRoot';
  const ids = packages.map((pkg, i) => spdxId(i, pkg));
  const document = {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: subject.name,
    documentNamespace: `https://sigil.dev/spdxdocs/${encodeURIComponent(subject.name)}-${randomUUID()}`,
    creationInfo: { created: now.toISOString().replace(/\.\d{3}Z$/, 'Z'), creators: [`Tool: ${TOOL}`] },
    packages: [
      {
        SPDXID: rootId,
        name: subject.name,
        versionInfo: subject.digest ?? '',
        downloadLocation: 'NOASSERTION',
        filesAnalyzed: false,
        primaryPackagePurpose: subject.digest ? 'CONTAINER' : 'FILE',
      },
      ...packages.map((pkg, i) => ({
        SPDXID: ids[i],
        name: pkg.name,
        versionInfo: pkg.version,
        // Like Syft, the rpm vendor is taken as both who made and who supplied the package.
        ...(pkg.vendor
          ? { supplier: `Organization: ${pkg.vendor}`, originator: `Organization: ${pkg.vendor}` }
          : {}),
        downloadLocation: 'NOASSERTION',
        filesAnalyzed: false,
        licenseDeclared: pkg.license ? 'NOASSERTION' : 'NONE',
        ...(pkg.license ? { comment: `license as recorded by the package database: ${pkg.license}` } : {}),
        sourceInfo: `acquired package info from ${pkg.foundIn}`,
        externalRefs: [
          { referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: pkg.purl },
        ],
      })),
    ],
    relationships: [
      { spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: rootId },
      ...ids.map((id) => ({ spdxElementId: rootId, relationshipType: 'CONTAINS', relatedSpdxElement: id })),
    ],
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}

export function writeCycloneDx(subject: SbomSubject, packages: SbomPackage[], now = new Date()): string {
  const document = {
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    serialNumber: `urn:uuid:${randomUUID()}`,
    version: 1,
    metadata: {
      timestamp: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      tools: { components: [{ type: 'application', name: TOOL }] },
      component: {
        'bom-ref': 'subject',
        type: subject.digest ? 'container' : 'file',
        name: subject.name,
        ...(subject.digest ? { version: subject.digest } : {}),
      },
    },
    components: packages.map((pkg) => ({
      'bom-ref': pkg.purl,
      type: 'library',
      ...(pkg.vendor ? { publisher: pkg.vendor } : {}),
      name: pkg.name,
      version: pkg.version,
      ...(pkg.license ? { licenses: [{ expression: pkg.license }] } : {}),
      purl: pkg.purl,
      properties: [{ name: 'sigil:location', value: pkg.foundIn }],
    })),
    dependencies: [{ ref: 'subject', dependsOn: packages.map((pkg) => pkg.purl) }],
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}

export function writeSbom(format: SbomFormat, subject: SbomSubject, packages: SbomPackage[]): string {
  return format === 'spdx-json' ? writeSpdx(subject, packages) : writeCycloneDx(subject, packages);
}
