/**
 * `sigil load`: an OCI image layout (as docs/ci/build-oci-layout.sh writes one) pushed to the embedded
 * registry, pulled back by the digest it printed; a corrupt or ambiguous layout is refused before any push.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseReference, RegistryClient, type RunningRegistry, startRegistry } from '../../src/oci/index.js';
import { errorLine, sigil } from '../helpers/cli.js';
import { REPO_ROOT } from '../helpers/client-install.js';

describe('sigil load --dir (OCI image layout to a registry)', () => {
  let dir: string;
  let registry: RunningRegistry;
  let layout: string;
  let digest: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sigil-layout-'));
    registry = await startRegistry({ host: '127.0.0.1', port: 0, dataDir: join(dir, 'registry') });
    mkdirSync(join(dir, 'ctx'));
    writeFileSync(join(dir, 'ctx', 'hello.txt'), 'hello\n');
    layout = join(dir, 'layout');
    const script = join(REPO_ROOT, 'docs', 'ci', 'build-oci-layout.sh');
    digest = execFileSync('sh', [script, layout, join(dir, 'ctx'), '/hello'], { encoding: 'utf8' }).trim();
  });
  after(async () => {
    await registry?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('pushes the image under the tag and prints it by digest', async () => {
    const loaded = await sigil(['load', '--dir', layout, `${registry.address}/org/app:v1`], { cwd: dir });
    assert.equal(loaded.code, 0, loaded.stderr);
    assert.equal(loaded.stdout.trim(), `${registry.address}/org/app@${digest}`);
    const fetched = await new RegistryClient({}).getManifest(
      parseReference(`${registry.address}/org/app`),
      'v1',
    );
    assert.equal(fetched.digest, digest);
  });

  it('refuses a layout whose blob does not match its digest, naming the file', async () => {
    const corrupt = join(dir, 'corrupt');
    execFileSync('cp', ['-r', layout, corrupt]);
    const blobs = join(corrupt, 'blobs', 'sha256');
    const index = JSON.parse(readFileSync(join(corrupt, 'index.json'), 'utf8'));
    const manifest = JSON.parse(readFileSync(join(blobs, index.manifests[0].digest.slice(7)), 'utf8'));
    const layer = join(blobs, manifest.layers[0].digest.slice(7));
    writeFileSync(layer, Buffer.concat([readFileSync(layer), Buffer.from('x')]));
    const loaded = await sigil(['load', '--dir', corrupt, `${registry.address}/org/corrupt:v1`], {
      cwd: dir,
    });
    assert.equal(loaded.code, 1);
    assert.match(errorLine(loaded), new RegExp(`${manifest.layers[0].digest.slice(7)}: holds`));
  });

  it('refuses a layout naming several images, and a directory that is no layout', async () => {
    const two = join(dir, 'two');
    execFileSync('cp', ['-r', layout, two]);
    const index = JSON.parse(readFileSync(join(two, 'index.json'), 'utf8'));
    index.manifests.push(index.manifests[0]);
    writeFileSync(join(two, 'index.json'), JSON.stringify(index));
    const ambiguous = await sigil(['load', '--dir', two, `${registry.address}/org/two:v1`], { cwd: dir });
    assert.match(errorLine(ambiguous), /names 2 manifests/);
    const none = await sigil(['load', '--dir', join(dir, 'ctx'), `${registry.address}/org/none:v1`], {
      cwd: dir,
    });
    assert.match(errorLine(none), /oci-layout: ENOENT/);
  });
});
