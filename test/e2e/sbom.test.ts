import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  parseReference,
  pushTestImage,
  RegistryClient,
  type RunningRegistry,
  startRegistry,
} from '../../src/oci/index.js';
import { errorLine, sigil, workDir } from '../helpers/cli.js';

const APK_DB = 'P:musl\nV:1.2.4-r2\nA:x86_64\nL:MIT\n';
let dir: string;
let registry: RunningRegistry;

before(async () => {
  dir = await workDir();
  registry = await startRegistry({ host: '127.0.0.1', port: 0, dataDir: join(dir, 'registry') });
  await mkdir(join(dir, 'rootfs/lib/apk/db'), { recursive: true });
  await writeFile(join(dir, 'rootfs/lib/apk/db/installed'), APK_DB);
});
after(async () => {
  await registry.close();
  await rm(dir, { recursive: true, force: true });
});

describe('sigil sbom', () => {
  it('prints SPDX JSON for an image on stdout', async () => {
    const image = `${registry.address}/e2e/app:1`;
    await pushTestImage(new RegistryClient(), parseReference(image), {
      files: { 'lib/apk/db/installed': APK_DB },
    });
    const result = await sigil(['sbom', image, '-o', 'spdx-json'], { cwd: dir });
    assert.equal(result.code, 0, result.stderr);
    const doc = JSON.parse(result.stdout);
    assert.equal(doc.spdxVersion, 'SPDX-2.3');
    assert.equal(
      doc.packages[1].externalRefs[0].referenceLocator,
      'pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64',
    );
  });

  it("accepts syft's -o FORMAT=FILE for a directory", async () => {
    const out = join(dir, 'sbom.cdx.json');
    const result = await sigil(['sbom', '--dir', join(dir, 'rootfs'), '-o', `cyclonedx-json=${out}`], {
      cwd: dir,
    });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, '');
    assert.equal(JSON.parse(await readFile(out, 'utf8')).components[0].name, 'musl');
  });

  it('rejects an unknown format with one error line and writes nothing', async () => {
    const out = join(dir, 'never.json');
    const result = await sigil(['sbom', '--dir', join(dir, 'rootfs'), '-o', `xml=${out}`], { cwd: dir });
    assert.notEqual(result.code, 0);
    assert.match(errorLine(result), /unknown SBOM format "xml"/);
    assert.equal(existsSync(out), false);
  });

  it('rejects a missing image reference', async () => {
    const result = await sigil(['sbom'], { cwd: dir });
    assert.notEqual(result.code, 0);
    assert.match(errorLine(result), /either an image reference or --dir/);
  });
});
