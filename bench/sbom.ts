/** `sigil sbom` on the debootstrap bookworm image in the embedded registry: wall time, packages, MB/s. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseReference, RegistryClient, startRegistry } from '../src/oci/index.js';
import { generateSbom } from '../src/sbom/index.js';
import { debianRootfs, pushDirectoryImage } from '../test/helpers/debian-rootfs.js';
import { formatTiming, measure, memoryLine } from './stats.js';

const RUNS = Number(process.env.SIGIL_BENCH_SBOM_RUNS ?? 5);

export async function benchSbom(): Promise<void> {
  console.log('\n# sbom (debootstrap bookworm minbase, one layer, embedded registry)');
  const rootfs = debianRootfs();
  if (!rootfs) {
    console.log('skipped: debootstrap is missing or the Debian mirror is unreachable');
    return;
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'sigil-bench-sbom-'));
  const registry = await startRegistry({ host: '127.0.0.1', port: 0, dataDir });
  try {
    const client = new RegistryClient();
    const image = `${registry.address}/bench/debian:minbase`;
    await pushDirectoryImage(client, parseReference(image), rootfs);
    let packages = 0;
    let bytes = 0;
    const timing = await measure(RUNS, async () => {
      const result = await generateSbom(image, 'spdx-json', { client });
      packages = result.packages.length;
      bytes = result.bytesScanned;
    });
    console.log(formatTiming('sbom spdx-json (whole image)', timing));
    const mb = bytes / 2 ** 20;
    console.log(
      `packages found: ${packages}; layer content ${mb.toFixed(1)} MiB uncompressed; ${(mb / (timing.seconds / RUNS)).toFixed(1)} MiB/s`,
    );
    console.log(memoryLine());
  } finally {
    await registry.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}
