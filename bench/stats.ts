/** Small timing helpers for the benchmarks: wall-clock throughput, latency percentiles, memory. */
import { performance } from 'node:perf_hooks';

export interface Timing {
  count: number;
  seconds: number;
  perSecond: number;
  p50ms: number;
  p99ms: number;
}

/** Runs `fn` `count` times, `concurrency` calls in flight (default: in sequence), and measures each call. */
export async function measure(count: number, fn: (i: number) => unknown, concurrency = 1): Promise<Timing> {
  const latencies: number[] = [];
  const start = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const t0 = performance.now();
      await fn(i);
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return summarize(latencies, (performance.now() - start) / 1000);
}

/** Throughput and percentiles of calls that took `latencies` ms each, `seconds` in all. */
export function summarize(latencies: number[], seconds: number): Timing {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  const count = sorted.length;
  return { count, seconds, perSecond: count / seconds, p50ms: at(0.5), p99ms: at(0.99) };
}

export function formatTiming(label: string, t: Timing): string {
  return `${label.padEnd(52)} ${t.perSecond.toFixed(1).padStart(9)}/s   p50 ${t.p50ms.toFixed(2)} ms   p99 ${t.p99ms.toFixed(2)} ms   (${t.count} in ${t.seconds.toFixed(2)} s)`;
}

export function memoryLine(): string {
  const m = process.memoryUsage();
  return `memory: rss ${(m.rss / 2 ** 20).toFixed(0)} MiB, heap used ${(m.heapUsed / 2 ** 20).toFixed(0)} MiB`;
}
