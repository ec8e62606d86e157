/**
 * deploy/helm/sigil-sigstore rendered with the pinned helm: the objects of `helm template` for a set of
 * values, and the pieces of them the tests look into (a component's Deployment, its main container).
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { parseAllDocuments } from 'yaml';
import { requirePeer } from './peers.js';

export const SIGSTORE_CHART = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'deploy',
  'helm',
  'sigil-sigstore',
);
export const helmPeer = requirePeer('helm');

/** The least a release needs: the Secrets holding the CA files and the online TUF keys. */
export const REQUIRED_VALUES = [
  '--set',
  'ca.existingSecret=sigil-ca',
  '--set',
  'tuf.keys.existingSecret=sigil-tuf',
];

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
}

export function helm(args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(helmPeer.path, args, { encoding: 'utf8' });
}

/** `helm template` of the chart; throws with helm's error when it fails. */
export function renderSigstore(namespace: string, args: string[]): KubeObject[] {
  const result = helm(['template', 'sigil', SIGSTORE_CHART, '--namespace', namespace, ...args]);
  if (result.status !== 0) throw new Error(`helm template ${args.join(' ')}: ${result.stderr}`);
  return parseAllDocuments(result.stdout).flatMap((doc) => {
    if (doc.errors.length > 0) throw new Error(`helm template ${args.join(' ')}: ${doc.errors[0]?.message}`);
    const object = doc.toJS() as KubeObject | null;
    return object === null ? [] : [object];
  });
}

export const componentOf = (object: KubeObject) => object.metadata.labels?.['app.kubernetes.io/component'];

export function objectOf(objects: KubeObject[], kind: string, component: string): KubeObject | undefined {
  return objects.find((o) => o.kind === kind && componentOf(o) === component);
}

/** The Deployment of one component (tlog, ca, tuf), as a kubernetes-models object. */
export function deploymentOf(objects: KubeObject[], component: string): Deployment {
  const object = objectOf(objects, 'Deployment', component);
  if (!object) throw new Error(`no Deployment for ${component}`);
  return new Deployment(object as never);
}
