/**
 * What a policy decides about each Pod of a resources file, read from the real Kyverno CLI (`kyverno apply
 * --policy-report`, the mutated resources with `-o`) and from `sigil policy apply -o json`, in one shape so
 * the parity tests can compare them row by row.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { sigil } from './cli.js';

export type RuleStatus = 'pass' | 'fail' | 'warn' | 'error' | 'skip';

export interface Verdict {
  /** The worst result over the policy's rules for this Pod ('none' when no rule applied). */
  result: RuleStatus | 'none';
  /** The rules that did not pass, with their messages. */
  failures: { rule: string; message: string }[];
  /** The Pod's first container image after mutation (mutateDigest), when it changed. */
  patchedImage?: string;
  /** Whether admission would let the Pod in (sigil's `allowed`; the tester's exit status). */
  allowed?: boolean;
}

/** Pod name → verdict. */
export type Verdicts = Map<string, Verdict>;

const SEVERITY: (RuleStatus | 'none')[] = ['none', 'skip', 'pass', 'warn', 'fail', 'error'];
const worse = (a: RuleStatus | 'none', b: RuleStatus | 'none') =>
  SEVERITY.indexOf(b) > SEVERITY.indexOf(a) ? b : a;

/** A Pod of the resources file: its name (the image's label) and its one container's image. */
export interface Pod {
  name: string;
  image: string;
}

/** One Pod per image, named by its label: the resources file both tools read. */
export function podsManifest(images: Pod[]): string {
  return images
    .map(({ name, image }) =>
      stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace: 'default' },
        spec: { containers: [{ name: 'app', image }] },
      }),
    )
    .join('---\n');
}

const run = promisify(execFile);

interface ReportResult {
  policy: string;
  rule: string;
  result: RuleStatus;
  message?: string;
  resources?: { name: string }[];
  subjects?: { name: string }[];
}

/**
 * The Kyverno CLI writes no resource patched by verifyImages (its `-o` holds mutate rules' output only), but
 * it validates the patched resource: this Audit policy's always-failing rule reports the Pod's image as
 * Kyverno's own engine sees it after verifyImages, which is how the digest it pinned is read.
 */
const IMAGE_PROBE = stringify({
  apiVersion: 'kyverno.io/v1',
  kind: 'ClusterPolicy',
  metadata: { name: 'image-probe' },
  spec: {
    validationFailureAction: 'Audit',
    rules: [
      {
        name: 'image-probe',
        match: { any: [{ resources: { kinds: ['Pod'] } }] },
        validate: {
          message: 'image={{ request.object.spec.containers[0].image }}',
          deny: { conditions: { any: [{ key: 'probe', operator: 'Equals', value: 'probe' }] } },
        },
      },
    ],
  },
});

/**
 * Writes `document` as `<dir>/policy.yaml` and runs `kyverno apply` and `sigil policy apply` on it side by
 * side, over the same Pods: the peer's verdicts and ours.
 */
export async function kyvernoAndSigilVerdicts(
  kyverno: string,
  dir: string,
  document: unknown,
  resourcesFile: string,
  pods: Pod[],
): Promise<{ peer: { verdicts: Verdicts; output: string }; ours: { verdicts: Verdicts; output: string } }> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, 'policy.yaml');
  await writeFile(file, stringify(document, { lineWidth: 0 }));
  const [peer, ours] = await Promise.all([
    kyvernoVerdicts(kyverno, file, resourcesFile, dir, pods),
    sigilVerdicts(file, resourcesFile, dir, pods),
  ]);
  return { peer, ours };
}

/** `kyverno apply POLICY --resource RESOURCES --registry --policy-report`; exit 1 on failures is expected. */
export async function kyvernoVerdicts(
  kyverno: string,
  policyFile: string,
  resourcesFile: string,
  workDir: string,
  pods: Pod[],
): Promise<{ verdicts: Verdicts; output: string }> {
  const probe = join(workDir, 'image-probe.yaml');
  writeFileSync(probe, IMAGE_PROBE);
  const args = ['apply', policyFile, probe, '--resource', resourcesFile, '--registry', '--policy-report'];
  const { stdout, stderr } = await run(kyverno, [...args, '--output-format', 'json'], {
    cwd: workDir,
    env: { PATH: process.env.PATH ?? '', HOME: workDir },
    maxBuffer: 64 << 20,
  }).catch((error: { stdout?: string; stderr?: string; code?: number }) => {
    if (typeof error.code !== 'number') throw error;
    return { stdout: error.stdout ?? '', stderr: error.stderr ?? '' };
  });
  const verdicts = emptyVerdicts(pods);
  for (const line of stdout.split('\n').filter((l) => l.startsWith('{'))) {
    const report = JSON.parse(line) as { results?: ReportResult[] };
    for (const r of report.results ?? []) {
      for (const subject of r.resources ?? r.subjects ?? []) {
        if (r.policy !== 'image-probe') {
          record(verdicts, subject.name, r.rule, r.result, r.message ?? '');
          continue;
        }
        const image = /^image=(.*)$/.exec(r.message ?? '')?.[1];
        const verdict = verdicts.get(subject.name);
        if (verdict && image && image !== pods.find((p) => p.name === subject.name)?.image)
          verdict.patchedImage = image;
      }
    }
  }
  return { verdicts, output: `${stdout}\n${stderr}` };
}

/** `sigil policy apply --policy POLICY --resource RESOURCES -o json`. */
export async function sigilVerdicts(
  policyFile: string,
  resourcesFile: string,
  workDir: string,
  pods: Pod[],
  extraArgs: string[] = [],
): Promise<{ verdicts: Verdicts; output: string }> {
  const result = await sigil(
    ['policy', 'apply', '--policy', policyFile, '--resource', resourcesFile, '-o', 'json', ...extraArgs],
    { cwd: workDir },
  );
  const verdicts = emptyVerdicts(pods);
  const parsed = JSON.parse(result.stdout || '{"results":[]}') as {
    results: {
      resource: string;
      allowed: boolean;
      results: { rule: string; result: RuleStatus; message?: string }[];
      patch: { path: string; value?: unknown }[];
    }[];
  };
  // A policy sigil refuses to load (as Kyverno refuses it) applies to nothing: no results, as Kyverno's.
  for (const resource of parsed.results ?? []) {
    const name = resource.resource.split('/').at(-1) ?? '';
    for (const r of resource.results) record(verdicts, name, r.rule, r.result, r.message ?? '');
    const patched = resource.patch.find((p) => p.path === '/spec/containers/0/image');
    const verdict = verdicts.get(name);
    if (!verdict) continue;
    verdict.allowed = resource.allowed;
    if (typeof patched?.value === 'string') verdict.patchedImage = patched.value;
  }
  return { verdicts, output: `${result.stdout}\n${result.stderr}` };
}

function emptyVerdicts(pods: Pod[]): Verdicts {
  return new Map(pods.map(({ name }) => [name, { result: 'none', failures: [] }]));
}

function record(verdicts: Verdicts, pod: string, rule: string, result: RuleStatus, message: string): void {
  const verdict = verdicts.get(pod);
  if (!verdict) return;
  verdict.result = worse(verdict.result, result);
  if (result === 'fail' || result === 'error') verdict.failures.push({ rule, message });
}

/**
 * `tester --policy CIP --image REF [--trustroot TRUSTROOT]` (the policy-controller's): exit 0 admits (with
 * warnings: warn mode), exit 1 with its JSON denies, exit 1 without JSON is a policy it refused to load.
 */
export async function testerVerdict(
  tester: string,
  cipFile: string,
  image: string,
  workDir: string,
  trustRootFile?: string,
): Promise<{ verdict: Verdict; output: string }> {
  const args = [
    '--policy',
    cipFile,
    '--image',
    image,
    ...(trustRootFile ? ['--trustroot', trustRootFile] : []),
  ];
  const { code, stdout, stderr } = await run(tester, args, {
    cwd: workDir,
    env: { PATH: process.env.PATH ?? '', HOME: workDir },
  }).then(
    (r) => ({ code: 0, ...r }),
    (error: { stdout?: string; stderr?: string; code?: number }) => {
      if (typeof error.code !== 'number') throw error;
      return { code: error.code, stdout: error.stdout ?? '', stderr: error.stderr ?? '' };
    },
  );
  const json = stdout.split('\n').find((l) => l.startsWith('{'));
  const out = json ? (JSON.parse(json) as { errors?: string[]; warnings?: string[] }) : {};
  const verdict: Verdict =
    code === 0
      ? { result: (out.warnings?.length ?? 0) > 0 ? 'warn' : 'pass', failures: [], allowed: true }
      : {
          result: json ? 'fail' : 'error',
          failures: (out.errors ?? [stderr.trim()]).map((message) => ({ rule: 'policy', message })),
          allowed: false,
        };
  return { verdict, output: `${stdout}\n${stderr}` };
}
