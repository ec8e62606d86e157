/**
 * Attestations between the real cosign and sigil, both ways, on the real distribution registry (which has
 * no referrers API: bundles go through the referrers tag schema): every predicate type cosign knows plus a
 * custom URI, in cosign v3's bundle-referrer form (its default) and the `.att` form, key-signed without a
 * log and with sigil's own log (`sigil tlog serve`); policies, wrong keys; cosign v2 for the `.att` form.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseReference, pushTestImage, RegistryClient } from '../../src/oci/index.js';
import { errorLine, sigil, workDir } from '../helpers/cli.js';
import { keySigningFlags, runCosign } from '../helpers/cosign.js';
import { attestArgs, printedStatements } from '../helpers/cosign-cli.js';
import {
  dockerRegistryInstalled,
  type PeerRegistry,
  startDockerRegistry,
} from '../helpers/docker-registry.js';
import { peerMissing, requirePeer } from '../helpers/peers.js';
import { startTlogProcess, type TlogProcess } from '../helpers/tlog-process.js';

const cosign3 = requirePeer('cosign-v3', 'cosign');
const cosign2 = requirePeer('cosign-v2', 'cosign');
const registryMissing = peerMissing('docker-registry', dockerRegistryInstalled());

const REVIEW_TYPE = 'https://example.com/review/v1';
const PREDICATES: Record<string, unknown> = {
  'sbom.spdx.json': { spdxVersion: 'SPDX-2.3', SPDXID: 'SPDXRef-DOCUMENT', name: 'app', packages: [] },
  'sbom.cdx.json': { bomFormat: 'CycloneDX', specVersion: '1.6', components: [] },
  'scan.json': {
    invocation: { parameters: null, uri: 'ci.example.com/scan', event_id: '', 'builder.id': '' },
    scanner: {
      uri: 'scanner.example.com/trivy',
      version: '0.50.0',
      db: { uri: '', version: '' },
      result: { summary: { CRITICAL: 0, HIGH: 1 } },
    },
    metadata: { scanStartedOn: '2026-01-01T00:00:00Z', scanFinishedOn: '2026-01-01T00:01:00Z' },
  },
  // cosign re-encodes SLSA v0.2 through Go structs (empty and unknown fields dropped); sigil keeps the
  // predicate as given. With every field set, both write the same predicate.
  'prov02.json': {
    builder: { id: 'https://ci.example.com/builder' },
    buildType: 'https://example.com/build/v1',
    invocation: { configSource: { uri: 'git+https://git.example.com/app', entryPoint: 'build.yaml' } },
    materials: [{ uri: 'git+https://git.example.com/app', digest: { sha1: 'a'.repeat(40) } }],
  },
  'prov1.json': {
    buildDefinition: { buildType: 'https://example.com/build/v1', externalParameters: { ref: 'main' } },
    runDetails: { builder: { id: 'https://ci.example.com/builder' } },
  },
  'review.json': { team: 'payments', approved: true },
};

/** --type, the predicate file, and the predicate type both tools put in the statement. */
const TYPES: [string, string, string][] = [
  ['spdxjson', 'sbom.spdx.json', 'https://spdx.dev/Document'],
  ['cyclonedx', 'sbom.cdx.json', 'https://cyclonedx.org/bom'],
  ['vuln', 'scan.json', 'https://cosign.sigstore.dev/attestation/vuln/v1'],
  ['slsaprovenance', 'prov02.json', 'https://slsa.dev/provenance/v0.2'],
  ['slsaprovenance1', 'prov1.json', 'https://slsa.dev/provenance/v1'],
  [REVIEW_TYPE, 'review.json', REVIEW_TYPE],
  ['custom', 'review.json', 'https://cosign.sigstore.dev/attestation/v1'],
];

/** Every type in the bundle form; a few in the `.att` form (the predicate code is the same). */
const FORMS = [
  {
    name: 'bundle referrer (cosign v3 default)',
    cosign: [],
    sigil: ['--new-bundle-format'],
    types: TYPES,
  },
  {
    name: '.att tag',
    cosign: ['--new-bundle-format=false'],
    sigil: [],
    types: TYPES.filter(([type]) => ['vuln', 'slsaprovenance', 'custom'].includes(type)),
  },
];

/**
 * The statement carries the predicate both tools build from the file: the file's JSON, except for the
 * `custom` type, which both wrap as cosign does: `{"Data": <the file's text>, "Timestamp": <now>}`.
 */
function assertPredicate(
  statement: { predicateType: string; predicate: unknown } | undefined,
  type: string,
  file: string,
  predicateType: string,
): void {
  assert.equal(statement?.predicateType, predicateType);
  if (type !== 'custom') {
    assert.deepEqual(statement?.predicate, PREDICATES[file]);
    return;
  }
  const wrapped = statement?.predicate as { Data: string; Timestamp: string };
  assert.deepEqual(JSON.parse(wrapped.Data), PREDICATES[file]);
  assert.match(wrapped.Timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
}

describe('attestations: real cosign <-> sigil (distribution registry)', {
  skip: cosign3.skip || registryMissing,
}, () => {
  let registry: PeerRegistry;
  let dir: string;
  let tlog: TlogProcess;
  const client = new RegistryClient({});
  const at = (file: string) => join(dir, file);
  const run = (args: string[], env: Record<string, string> = {}) =>
    sigil(args, { cwd: dir, env: { COSIGN_PASSWORD: '', ...env } });
  // cosign reads the log's key from the environment too (for entries in the .att form).
  const cosign = (args: string[], path = cosign3.path) =>
    runCosign(path, args, {
      cwd: dir,
      password: '',
      env: { SIGSTORE_REKOR_PUBLIC_KEY: at('tlog/log-key.pem.pub') },
    });
  const push = async (repo: string) => {
    const digest = await pushTestImage(client, parseReference(`${registry.address}/${repo}:v1`), {
      files: { 'f.txt': repo },
    });
    return `${registry.address}/${repo}@${digest}`;
  };
  const cosignAttest = (image: string, type: string, file: string, flags: string[], path = cosign3.path) =>
    cosign([...attestArgs(type, file), '--allow-http-registry', '-y'].concat(flags, [image]), path);
  const sigilVerify = (image: string, type: string, ...flags: string[]) =>
    run(['verify-attestation', '--key', 'cosign.pub', '--type', type, ...flags, image]);
  const cosignVerify = (image: string, type: string, flags: string[], path = cosign3.path) =>
    cosign(
      ['verify-attestation', '--key', 'cosign.pub', '--type', type, '--allow-http-registry', ...flags, image],
      path,
    );
  const ok = (result: { code: number; stderr: string }, what: string) =>
    assert.equal(result.code, 0, `${what}: ${result.stderr}`);

  before(async () => {
    registry = await startDockerRegistry();
    dir = await workDir();
    for (const [file, predicate] of Object.entries(PREDICATES))
      await writeFile(at(file), JSON.stringify(predicate));
    ok(await cosign(['generate-key-pair']), 'cosign generate-key-pair');
    ok(await run(['generate-key-pair', '--output-key-prefix', 'other']), 'sigil generate-key-pair');
    await writeFile(
      at('no-high.yaml'),
      'any:\n  - key: "{{ scanner.result.summary.HIGH }}"\n    operator: Equals\n    value: 0\n    message: no high vulnerabilities\n',
    );
    await writeFile(
      at('trusted-scanner.yaml'),
      'all:\n  - key: "{{ scanner.uri }}"\n    operator: Equals\n    value: "scanner.example.com/*"\n  - key: "{{ scanner.result.summary.CRITICAL }}"\n    operator: LessThanOrEquals\n    value: 0\n',
    );
    tlog = await startTlogProcess(at('tlog'));
  });
  after(async () => {
    await tlog?.stop();
    await registry?.close();
  });

  for (const form of FORMS) {
    it(`cosign v3 attest, ${form.name}, each type: sigil verify-attestation accepts and prints cosign's statement`, async () => {
      const image = await push(`from-cosign-${form.sigil.length}`);
      for (const [type, file] of form.types)
        ok(
          await cosignAttest(image, type, file, [...keySigningFlags(3), ...form.cosign]),
          `cosign attest ${type}`,
        );
      for (const [type, file, predicateType] of form.types) {
        const verified = await sigilVerify(image, type, '--insecure-ignore-tlog');
        ok(verified, `sigil verify-attestation --type ${type}`);
        const statements = printedStatements(verified.stdout);
        assert.equal(statements.length, 1, `${type}: ${verified.stdout}`);
        assertPredicate(statements[0], type, file, predicateType);
      }
      // What cosign prints for the same image and type is the same statement.
      const theirs = await cosignVerify(image, 'vuln', ['--insecure-ignore-tlog', ...form.cosign]);
      ok(theirs, 'cosign verify-attestation');
      const ours = await sigilVerify(image, 'vuln', '--insecure-ignore-tlog');
      assert.deepEqual(printedStatements(ours.stdout), printedStatements(theirs.stdout));
    });

    it(`sigil attest, ${form.name}, each type: cosign v3 verify-attestation accepts and prints sigil's statement`, async () => {
      const image = await push(`from-sigil-${form.sigil.length}`);
      for (const [type, file] of form.types) {
        const attested = await run([...attestArgs(type, file), '--tlog-upload=false', ...form.sigil, image]);
        ok(attested, `sigil attest ${type}`);
      }
      for (const [type, file, predicateType] of form.types) {
        const verified = await cosignVerify(image, type, ['--insecure-ignore-tlog', ...form.cosign]);
        ok(verified, `cosign verify-attestation --type ${type}`);
        const statements = printedStatements(verified.stdout);
        assert.equal(statements.length, 1, `${type}: ${verified.stdout}`);
        assertPredicate(statements[0], type, file, predicateType);
      }
      const wrongKey = await cosign([
        'verify-attestation',
        '--key',
        'other.pub',
        '--type',
        'vuln',
        '--insecure-ignore-tlog',
        '--allow-http-registry',
        ...form.cosign,
        image,
      ]);
      assert.equal(wrongKey.code, 1, 'cosign accepted a wrong key');
    });
  }

  it("sigil --policy (Kyverno conditions over the predicate) on cosign's attestations; wrong keys fail", async () => {
    const image = await push('policy');
    for (const form of FORMS)
      ok(
        await cosignAttest(image, 'vuln', 'scan.json', [...keySigningFlags(3), ...form.cosign]),
        'cosign attest',
      );
    const passing = await sigilVerify(
      image,
      'vuln',
      '--insecure-ignore-tlog',
      '--policy',
      'trusted-scanner.yaml',
    );
    ok(passing, 'passing policy');
    assert.equal(printedStatements(passing.stdout).length, 2, 'one bundle and one .att attestation');
    const failing = await sigilVerify(image, 'vuln', '--insecure-ignore-tlog', '--policy', 'no-high.yaml');
    assert.equal(failing.code, 1);
    assert.match(errorLine(failing), /fails the policy no-high\.yaml: .*no high vulnerabilities/);
    const wrongKey = await run([
      'verify-attestation',
      '--key',
      'other.pub',
      '--insecure-ignore-tlog',
      '--type',
      'vuln',
      image,
    ]);
    assert.equal(wrongKey.code, 1);
    assert.match(errorLine(wrongKey), /no matching attestations/);
    // cosign's own --policy is Rego or CUE over the whole statement (input.predicate...), not Kyverno
    // conditions over the predicate: the same rule, written for each.
    await writeFile(
      at('no-high.rego'),
      'package signature\ndefault allow = false\nallow {\n  input.predicate.scanner.result.summary.HIGH == 0\n}\n',
    );
    const rego = await cosignVerify(image, 'vuln', ['--insecure-ignore-tlog', '--policy', 'no-high.rego']);
    assert.equal(rego.code, 1, 'cosign passed the failing Rego policy');
    const regoInSigil = await sigilVerify(
      image,
      'vuln',
      '--insecure-ignore-tlog',
      '--policy',
      'no-high.rego',
    );
    assert.equal(regoInSigil.code, 1);
    assert.match(
      errorLine(regoInSigil),
      /no-high\.rego: --policy takes Kyverno any\/all conditions .*not cosign's Rego or CUE/,
    );
  });

  it('sigil verify counts only signing bundles as signatures; cosign v3 verify takes an attestation too', async () => {
    // Deliberately stricter: an image with an SBOM attestation and no signature is not signed.
    const image = await push('attested-only');
    ok(await cosignAttest(image, 'spdxjson', 'sbom.spdx.json', keySigningFlags(3)), 'cosign attest');
    const theirs = await cosign([
      'verify',
      '--key',
      'cosign.pub',
      '--insecure-ignore-tlog',
      '--allow-http-registry',
      image,
    ]);
    ok(theirs, 'cosign verify');
    assert.match(theirs.stdout, /"type":"https:\/\/spdx\.dev\/Document"/);
    const ours = await run(['verify', '--key', 'cosign.pub', '--insecure-ignore-tlog', image]);
    assert.equal(ours.code, 1);
    assert.match(
      errorLine(ours),
      /predicate type https:\/\/spdx\.dev\/Document, not https:\/\/sigstore\.dev\/cosign\/sign\/v1/,
    );
  });

  it("with sigil's log: cosign v3's entries (dsse, also for .att) verify in sigil, sigil's in cosign v3", async () => {
    const rekor = ['--rekor-url', tlog.url];
    const logKey = at('tlog/log-key.pem.pub');
    const logEnv = { SIGSTORE_REKOR_PUBLIC_KEY: logKey };
    const created = await cosign([
      'trusted-root',
      'create',
      '--rekor',
      `url=${tlog.url},public-key=${logKey},start-time=2024-01-01T00:00:00Z`,
      '--out',
      'trusted_root.json',
    ]);
    ok(created, 'cosign trusted-root create');
    const fromCosign = await push('logged-by-cosign');
    ok(
      await cosignAttest(fromCosign, 'vuln', 'scan.json', keySigningFlags(3, tlog.url)),
      'cosign attest (bundle)',
    );
    ok(
      await cosignAttest(fromCosign, 'spdxjson', 'sbom.spdx.json', [
        ...keySigningFlags(3, tlog.url),
        '--new-bundle-format=false',
      ]),
      'cosign attest (.att)',
    );
    for (const type of ['vuln', 'spdxjson'])
      ok(await run(['verify-attestation', '--key', 'cosign.pub', '--type', type, fromCosign], logEnv), type);
    const unlogged = await run([
      'verify-attestation',
      '--key',
      'cosign.pub',
      '--type',
      'spdxjson',
      fromCosign,
    ]);
    assert.equal(unlogged.code, 1, 'verified a logged attestation without the log key');

    const fromSigil = await push('logged-by-sigil');
    const sigilAttest = (type: string, file: string, ...flags: string[]) =>
      run([...attestArgs(type, file), ...rekor, ...flags, fromSigil]);
    ok(await sigilAttest('vuln', 'scan.json'), 'sigil attest (.att)');
    ok(await sigilAttest('spdxjson', 'sbom.spdx.json', '--new-bundle-format'), 'sigil attest (bundle)');
    // The .att entry is intoto 0.0.2, whose envelope hash cosign checks against the layer it reads.
    ok(await cosignVerify(fromSigil, 'vuln', [...rekor, '--new-bundle-format=false']), 'cosign: .att');
    ok(await cosignVerify(fromSigil, 'spdxjson', ['--trusted-root', 'trusted_root.json']), 'cosign: bundle');
  });

  it('cosign v2 (.att form), both ways, without and with the log', { skip: cosign2.skip }, async () => {
    const logEnv = { SIGSTORE_REKOR_PUBLIC_KEY: at('tlog/log-key.pem.pub') };
    const fromCosign = await push('cosign-v2');
    ok(await cosignAttest(fromCosign, 'vuln', 'scan.json', keySigningFlags(2), cosign2.path), 'v2 attest');
    ok(
      await cosignAttest(
        fromCosign,
        'slsaprovenance1',
        'prov1.json',
        keySigningFlags(2, tlog.url),
        cosign2.path,
      ),
      'v2 attest, logged (intoto 0.0.2)',
    );
    ok(
      await sigilVerify(fromCosign, 'vuln', '--insecure-ignore-tlog', '--policy', 'trusted-scanner.yaml'),
      'vuln',
    );
    ok(
      await run(
        ['verify-attestation', '--key', 'cosign.pub', '--type', 'slsaprovenance1', fromCosign],
        logEnv,
      ),
      'slsa',
    );

    const fromSigil = await push('sigil-for-v2');
    for (const [type, file] of [
      ['cyclonedx', 'sbom.cdx.json'],
      [REVIEW_TYPE, 'review.json'],
    ] as const)
      ok(
        await run([
          'attest',
          '--key',
          'cosign.key',
          '--rekor-url',
          tlog.url,
          '--type',
          type,
          '--predicate',
          file,
          fromSigil,
        ]),
        `sigil attest ${type}`,
      );
    for (const type of ['cyclonedx', REVIEW_TYPE]) {
      const verified = await cosignVerify(fromSigil, type, ['--rekor-url', tlog.url], cosign2.path);
      ok(verified, `cosign v2 verify-attestation ${type}`);
      assert.equal(
        printedStatements(verified.stdout)[0]?.predicateType,
        type === 'cyclonedx' ? 'https://cyclonedx.org/bom' : type,
      );
    }
  });
});
