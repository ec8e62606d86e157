/** Go `time.Duration` strings (`1h30m`, `500ms`, `-2.5s`), which Kyverno's duration operators and time functions use. */
const UNIT_SECONDS: Readonly<Record<string, number>> = {
  ns: 1e-9,
  us: 1e-6,
  µs: 1e-6,
  μs: 1e-6,
  ms: 1e-3,
  s: 1,
  m: 60,
  h: 3600,
};

const DURATION = /^[+-]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/;
const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g;

/** Seconds, or undefined when `text` is not a Go duration. Like Go, a bare "0" is a duration. */
export function parseGoDuration(text: string): number | undefined {
  if (text === '0' || text === '+0' || text === '-0') return 0;
  if (!DURATION.test(text)) return undefined;
  let seconds = 0;
  for (const [, amount = '', unit = ''] of text.matchAll(PART))
    seconds += Number(amount) * (UNIT_SECONDS[unit] ?? 0);
  return text.startsWith('-') ? -seconds : seconds;
}

/** Go's `Duration.String()`: `1h0m0s`, `1.5s`, `300ms`, `0s`. */
export function formatGoDuration(seconds: number): string {
  if (seconds === 0) return '0s';
  const sign = seconds < 0 ? '-' : '';
  const nanos = Math.round(Math.abs(seconds) * 1e9);
  if (nanos < 1e9) {
    if (nanos < 1e3) return `${sign}${nanos}ns`;
    if (nanos < 1e6) return `${sign}${trimFraction(nanos / 1e3)}µs`;
    return `${sign}${trimFraction(nanos / 1e6)}ms`;
  }
  const hours = Math.floor(nanos / 3.6e12);
  const minutes = Math.floor((nanos % 3.6e12) / 6e10);
  const secs = trimFraction((nanos % 6e10) / 1e9);
  if (hours > 0) return `${sign}${hours}h${minutes}m${secs}s`;
  if (minutes > 0) return `${sign}${minutes}m${secs}s`;
  return `${sign}${secs}s`;
}

function trimFraction(value: number): string {
  return String(Number(value.toFixed(9)));
}
