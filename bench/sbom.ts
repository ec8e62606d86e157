/**
 * `sigil sbom` on the debootstrap bookworm image in the embedded registry: wall time, packages, MB/s, and
 * the peak resident memory of the CLI run as its own process (the in-process figures share the registry).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseReference, RegistryClient, startRegistry } from '../src/oci/index.js';
import { generateSbom } from '../src/sbom/index.js';
import { SIGIL_BIN } from '../test/helpers/cli.js';
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
    const peak = await sbomPeakRss(SIGIL_BIN, image);
    const figure = peak > 0 ? `${(peak / 2 ** 20).toFixed(0)} MiB` : 'not measured (no /proc)';
    console.log(`sigil sbom (CLI process): peak RSS ${figure}`);
  } finally {
    await registry.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/**
 * Runs `sigil sbom IMAGE` from `bin` as a child and returns its peak resident set (VmHWM, bytes), sampled
 * from /proc while it runs: VmHWM only grows, so the last sample before exit is the peak up to then.
 */
export async function sbomPeakRss(bin: string, image: string): Promise<number> {
  const child = spawn(process.execPath, [bin, 'sbom', image, '-o', 'spdx-json'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  let peak = 0;
  const sample = () => {
    try {
      const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (match?.[1]) peak = Math.max(peak, Number(match[1]) * 1024);
    } catch {
      // the process has just exited; the previous sample stands
    }
  };
  const timer = setInterval(sample, 5);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearInterval(timer);
  if (code !== 0) throw new Error(`sigil sbom exited with ${code}`);
  return peak;
}
