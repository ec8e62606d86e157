/** Cross-check: the packages sigil finds in a real debootstrap image are exactly what dpkg-query lists. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { parseReference, RegistryClient, type RunningRegistry, startRegistry } from '../../src/oci/index.js';
import { generateSbom } from '../../src/sbom/index.js';
import { debianRootfs, pushDirectoryImage } from '../helpers/debian-rootfs.js';
import { commandExists, peerMissing } from '../helpers/peers.js';

const rootfs = commandExists('dpkg-query') ? debianRootfs() : undefined;
const skip = peerMissing('debootstrap (with a reachable Debian mirror) and dpkg-query', rootfs !== undefined);

// biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's ${Field} syntax, not a JS template
const DPKG_FORMAT = '${Package} ${Version} ${Architecture}\\n';

let registry: RunningRegistry;
let dataDir: string;

before(async () => {
  if (skip) return;
  dataDir = await mkdtemp(join(tmpdir(), 'sigil-sbom-debian-'));
  registry = await startRegistry({ host: '127.0.0.1', port: 0, dataDir });
});
after(async () => {
  if (skip) return;
  await registry.close();
  await rm(dataDir, { recursive: true, force: true });
});

it('sigil sbom on a debootstrap image lists the same (name, version, arch) set as dpkg-query', {
  skip,
}, async () => {
  const dir = rootfs ?? '';
  const client = new RegistryClient();
  const image = `${registry.address}/debian/bookworm:minbase`;
  await pushDirectoryImage(client, parseReference(image), dir);
  const { packages, document } = await generateSbom(image, 'spdx-json', { client });
  const ours = packages.filter((p) => p.type === 'deb').map((p) => `${p.name} ${p.version} ${p.arch}`);
  const expected = execFileSync(
    'dpkg-query',
    [`--admindir=${join(dir, 'var/lib/dpkg')}`, '-W', '-f', DPKG_FORMAT],
    { encoding: 'utf8' },
  )
    .split('\n')
    .filter((line) => line !== '');
  assert.ok(expected.length > 50, `expected a real package set, got ${expected.length}`);
  assert.deepEqual([...ours].sort(), [...expected].sort());
  assert.ok(packages.every((p) => p.purl.includes('distro=debian-12')));
  assert.equal(JSON.parse(document).packages.length, ours.length + 1);
});
