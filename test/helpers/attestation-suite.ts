/**
 * attest / verify-attestation with a key through the `sigil` binary, against any registry: the embedded
 * one (test/e2e) and the real distribution registry (test/interop). The `.att` layout is read over plain
 * HTTP, not through our client.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Digest } from '../../src/core/index.js';
import { parseReference, pushTestImage, RegistryClient } from '../../src/oci/index.js';
import { errorLine, sigil, workDir } from './cli.js';
import { COSIGN_KEY, COSIGN_PUB, FIXTURES, fixture } from './fixtures.js';

interface StartedRegistry {
  address: string;
  close(): Promise<void>;
}

interface AttestationManifest {
  layers: { mediaType: string; digest: string; annotations: Record<string, string> }[];
}

const SPDX = { spdxVersion: 'SPDX-2.3', SPDXID: 'SPDXRef-DOCUMENT', name: 'app', packages: [] };
const CYCLONEDX = { bomFormat: 'CycloneDX', specVersion: '1.6', components: [] };

export function attestationSuite(
  name: string,
  start: () => Promise<StartedRegistry>,
  skip: string | false = false,
) {
  describe(`attest / verify-attestation: ${name}`, { skip }, () => {
    let registry: StartedRegistry;
    let dir: string;
    const client = new RegistryClient({});
    const env = { COSIGN_PASSWORD: '' };
    const run = (...args: string[]) => sigil(args, { cwd: dir, env });
    const key = join(FIXTURES, COSIGN_KEY);
    const pub = join(FIXTURES, COSIGN_PUB);
    const image = (repo: string, digest: Digest) => `${registry.address}/${repo}@${digest}`;
    const push = (repo: string, content: string) =>
      pushTestImage(client, parseReference(`${registry.address}/${repo}:v1`), {
        files: { 'f.txt': content },
      });
    const attest = (ref: string, type: string, predicate: string, ...flags: string[]) =>
      run(
        'attest',
        '--key',
        key,
        '--tlog-upload=false',
        '--type',
        type,
        '--predicate',
        predicate,
        ...flags,
        ref,
      );
    const verify = (ref: string, type: string, ...flags: string[]) =>
      run('verify-attestation', '--key', pub, '--insecure-ignore-tlog', '--type', type, ...flags, ref);
    const attTag = (digest: Digest) => `sha256-${digest.slice('sha256:'.length)}.att`;
    const rawManifest = async (repo: string, tag: string) => {
      const response = await fetch(`http://${registry.address}/v2/${repo}/manifests/${tag}`, {
        headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' },
      });
      assert.equal(response.status, 200);
      return (await response.json()) as AttestationManifest;
    };
    let digest: Digest;
    let ref: string;

    before(async () => {
      registry = await start();
      dir = await workDir();
      await writeFile(join(dir, 'sbom.spdx.json'), JSON.stringify(SPDX));
      await writeFile(join(dir, 'sbom.cdx.json'), JSON.stringify(CYCLONEDX));
      const scanned = JSON.parse(fixture('cosign/attestations_vuln-predicate.json').toString('utf8'));
      scanned.scanner.result = { summary: { CRITICAL: 2, HIGH: 1 } };
      await writeFile(join(dir, 'scan.json'), JSON.stringify(scanned));
      await writeFile(
        join(dir, 'no-criticals.yaml'),
        'all:\n  - key: "{{ scanner.result.summary.CRITICAL || `0` }}"\n    operator: Equals\n    value: 0\n    message: no critical vulnerabilities\n',
      );
      await writeFile(
        join(dir, 'known-scanner.yaml'),
        'conditions:\n  - any:\n      - key: "{{ scanner.uri }}"\n        operator: Equals\n        value: "fakescanner.example.com/*"\n',
      );
      digest = await push('app', 'attested\n');
      ref = image('app', digest);
      for (const [type, file] of [
        ['spdxjson', 'sbom.spdx.json'],
        ['cyclonedx', 'sbom.cdx.json'],
        ['vuln', 'scan.json'],
      ] as const) {
        const result = await attest(ref, type, join(dir, file));
        assert.equal(result.code, 0, result.stderr);
      }
    });
    after(() => registry.close());

    it('stores a DSSE layer per attestation in .att, annotated with its predicate type', async () => {
      const manifest = await rawManifest('app', attTag(digest));
      assert.deepEqual(
        manifest.layers.map((l) => [l.mediaType, l.annotations.predicateType]),
        [
          ['application/vnd.dsse.envelope.v1+json', 'https://spdx.dev/Document'],
          ['application/vnd.dsse.envelope.v1+json', 'https://cyclonedx.org/bom'],
          ['application/vnd.dsse.envelope.v1+json', 'https://cosign.sigstore.dev/attestation/vuln/v1'],
        ],
      );
      assert.equal(manifest.layers[0]?.annotations['dev.cosignproject.cosign/signature'], '');
    });

    it('verifies each type, printing the envelope whose statement is about the image digest', async () => {
      for (const type of ['spdxjson', 'cyclonedx', 'vuln']) {
        const result = await verify(ref, type);
        assert.equal(result.code, 0, result.stderr);
        const lines = result.stdout.trim().split('\n');
        assert.equal(lines.length, 1);
        const envelope = JSON.parse(lines[0] ?? '');
        assert.equal(envelope.payloadType, 'application/vnd.in-toto+json');
        const statement = JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8'));
        assert.equal(statement._type, 'https://in-toto.io/Statement/v1');
        assert.equal(statement.subject[0].digest.sha256, digest.slice('sha256:'.length));
      }
    });

    it('tree lists the attestations with their predicate types; an image without artifacts says so', async () => {
      const tree = await run('tree', ref);
      assert.equal(tree.code, 0, tree.stderr);
      assert.match(tree.stdout, /^📦 Supply Chain Security Related artifacts for an image: /);
      assert.match(tree.stdout, /└── 💾 Attestations for an image tag: .*app:sha256-[0-9a-f]{64}\.att\n/);
      // The text lists layer digests only, as cosign's; the JSON adds each layer's predicate type.
      assert.match(tree.stdout, / {3}├── 🍒 sha256:[0-9a-f]{64}\n/);
      assert.doesNotMatch(tree.stdout, /Signatures for an image tag/);
      const json = JSON.parse((await run('tree', '-o', 'json', ref)).stdout);
      assert.equal(json.artifacts[0].layers.length, 3);
      assert.equal(json.artifacts[0].layers[0].predicateType, 'https://spdx.dev/Document');
      const bare = await push('treeless', 'treeless\n');
      const empty = await run('tree', image('treeless', bare));
      assert.match(empty.stdout, /No Supply Chain Security Related Artifacts found/);
    });

    it('attach sbom stores the document unsigned in .sbom; download sbom returns it; tree lists it', async () => {
      const sbomImage = await push('with-sbom', 'sbom\n');
      const target = image('with-sbom', sbomImage);
      const attached = await run('attach', 'sbom', '--sbom', join(dir, 'sbom.spdx.json'), target);
      assert.equal(attached.code, 0, attached.stderr);
      assert.match(attached.stderr, /does not sign them/);
      const manifest = await rawManifest('with-sbom', `sha256-${sbomImage.slice('sha256:'.length)}.sbom`);
      assert.equal(manifest.layers[0]?.mediaType, 'text/spdx+json');
      const downloaded = await run('download', 'sbom', target);
      assert.equal(downloaded.code, 0, downloaded.stderr);
      assert.deepEqual(JSON.parse(downloaded.stdout), SPDX);
      assert.match((await run('tree', target)).stdout, /└── 📦 SBOMs for an image tag: .*\.sbom\n/);
      const wrongType = await run(
        'attach',
        'sbom',
        '--type',
        'cyclonedx',
        '--input-format',
        'text',
        '--sbom',
        join(dir, 'sbom.cdx.json'),
        target,
      );
      assert.equal(wrongType.code, 1);
      assert.match(errorLine(wrongType), /not an SBOM format/);
      const none = await run('download', 'sbom', ref);
      assert.equal(none.code, 1);
      assert.match(errorLine(none), /no SBOMs attached/);
    });

    it('--replace keeps one attestation of the type', async () => {
      const other = await push('replaced', 'replaced\n');
      const otherRef = image('replaced', other);
      for (let i = 0; i < 2; i++)
        assert.equal((await attest(otherRef, 'spdxjson', join(dir, 'sbom.spdx.json'))).code, 0);
      assert.equal((await rawManifest('replaced', attTag(other))).layers.length, 2);
      const replaced = await attest(otherRef, 'spdxjson', join(dir, 'sbom.spdx.json'), '--replace');
      assert.equal(replaced.code, 0, replaced.stderr);
      assert.equal((await rawManifest('replaced', attTag(other))).layers.length, 1);
    });

    it('applies --policy conditions to the predicate: passing and failing', async () => {
      const known = await verify(ref, 'vuln', '--policy', join(dir, 'known-scanner.yaml'));
      assert.equal(known.code, 0, known.stderr);
      const critical = await verify(ref, 'vuln', '--policy', join(dir, 'no-criticals.yaml'));
      assert.equal(critical.code, 1);
      assert.match(errorLine(critical), /fails the policy .*no critical vulnerabilities/);
    });

    it('fails closed: wrong key, other type, unattested image, subject of another image, bad policy', async () => {
      const otherKey = await run('generate-key-pair', '--output-key-prefix', 'other');
      assert.equal(otherKey.code, 0, otherKey.stderr);
      const wrongKey = await run(
        'verify-attestation',
        '--key',
        join(dir, 'other.pub'),
        '--insecure-ignore-tlog',
        '--type',
        'vuln',
        ref,
      );
      assert.equal(wrongKey.code, 1);
      assert.match(errorLine(wrongKey), /invalid signature for the given public key/);

      const otherType = await verify(ref, 'slsaprovenance1');
      assert.equal(otherType.code, 1);
      assert.match(
        errorLine(otherType),
        /predicate type https:\/\/cyclonedx.org\/bom, not https:\/\/slsa.dev\/provenance\/v1|no matching attestations of type/,
      );

      const bare = await push('bare', 'bare\n');
      const unattested = await verify(image('bare', bare), 'vuln');
      assert.equal(unattested.code, 1);
      assert.match(errorLine(unattested), /no attestations found/);

      // The attestations of `app`, copied onto another image: signatures are valid, subjects are not.
      const copy = await push('copy', 'copy\n');
      const source = await fetch(`http://${registry.address}/v2/app/manifests/${attTag(digest)}`, {
        headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' },
      });
      const body = Buffer.from(await source.arrayBuffer());
      for (const layer of JSON.parse(body.toString('utf8')).layers as { digest: string }[]) {
        const blob = Buffer.from(
          await (await fetch(`http://${registry.address}/v2/app/blobs/${layer.digest}`)).arrayBuffer(),
        );
        await client.pushBlob(parseReference(`${registry.address}/copy`), blob);
      }
      const config = JSON.parse(body.toString('utf8')).config.digest as string;
      const configBlob = Buffer.from(
        await (await fetch(`http://${registry.address}/v2/app/blobs/${config}`)).arrayBuffer(),
      );
      await client.pushBlob(parseReference(`${registry.address}/copy`), configBlob);
      await client.putManifest(
        parseReference(`${registry.address}/copy`),
        attTag(copy),
        body,
        'application/vnd.oci.image.manifest.v1+json',
      );
      const moved = await verify(image('copy', copy), 'vuln');
      assert.equal(moved.code, 1);
      assert.match(errorLine(moved), /the statement is about sha256:[0-9a-f]+, not sha256:/);

      await writeFile(join(dir, 'bad-policy.yaml'), 'all:\n  - key: x\n    operator: Equalz\n    value: 1\n');
      const badPolicy = await verify(ref, 'vuln', '--policy', join(dir, 'bad-policy.yaml'));
      assert.equal(badPolicy.code, 1);
      assert.match(errorLine(badPolicy), /bad-policy.yaml: conditions\[0\]\.all\.0\.operator/);
    });

    it('rejects predicates that are not what --type says, before signing anything', async () => {
      await writeFile(join(dir, 'not-json.txt'), 'just text');
      const notJson = await attest(ref, 'vuln', join(dir, 'not-json.txt'));
      assert.equal(notJson.code, 1);
      assert.match(errorLine(notJson), /not-json.txt.*must be JSON/);
      const wrongSbom = await attest(ref, 'cyclonedx', join(dir, 'sbom.spdx.json'));
      assert.equal(wrongSbom.code, 1);
      assert.match(errorLine(wrongSbom), /not a CycloneDX BOM/);
      const badType = await attest(ref, 'not a type', join(dir, 'sbom.spdx.json'));
      assert.equal(badType.code, 1);
      assert.match(errorLine(badType), /not a predicate type/);
      assert.equal((await rawManifest('app', attTag(digest))).layers.length, 3);
    });
  });
}
