import { TYPE_STRING } from '@jmespath-community/jmespath';
import { formatGoDuration, parseGoDuration } from '../duration.js';
import { type CustomFunction, FunctionError } from './types.js';

/** Go's reference layout for RFC 3339, the only layout Kyverno's time functions default to (and the only one we read). */
const RFC3339_LAYOUT = '2006-01-02T15:04:05Z07:00';
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/i;

function parseTime(functionName: string, text: unknown): Date {
  const value = String(text);
  const date = RFC3339.test(value) ? new Date(value) : undefined;
  if (date === undefined || Number.isNaN(date.getTime())) {
    throw new FunctionError(functionName, `${JSON.stringify(value)} is not an RFC 3339 time`);
  }
  return date;
}

function parseDuration(functionName: string, text: unknown): number {
  const seconds = parseGoDuration(String(text));
  if (seconds === undefined)
    throw new FunctionError(functionName, `${JSON.stringify(text)} is not a duration`);
  return seconds;
}

function checkLayout(functionName: string, layout: unknown): void {
  if (layout !== '' && layout !== RFC3339_LAYOUT) {
    throw new FunctionError(
      functionName,
      `layout ${JSON.stringify(layout)} is not supported; use "" or "${RFC3339_LAYOUT}"`,
    );
  }
}

/** RFC 3339 in UTC as Go prints it: no fractional part when it is zero. */
function formatTime(date: Date): string {
  return date.toISOString().replace(/\.000Z$/, 'Z');
}

const str = { types: [TYPE_STRING] };

export const timeFunctions: CustomFunction[] = [
  // Kyverno's time_now returns local time; a controller runs in UTC, and a fixed zone keeps results reproducible.
  { name: 'time_now', signature: [], run: () => formatTime(new Date()) },
  { name: 'time_now_utc', signature: [], run: () => formatTime(new Date()) },
  {
    // time_since(layout, start, end): end - start as a Go duration; an empty end means now.
    name: 'time_since',
    signature: [str, str, str],
    run: ([layout, start, end]) => {
      checkLayout('time_since', layout);
      const from = parseTime('time_since', start);
      const to = end === '' ? new Date() : parseTime('time_since', end);
      return formatGoDuration((to.getTime() - from.getTime()) / 1000);
    },
  },
  {
    name: 'time_to_cron',
    signature: [str],
    run: ([time]) => {
      const t = parseTime('time_to_cron', time);
      return `${t.getUTCMinutes()} ${t.getUTCHours()} ${t.getUTCDate()} ${t.getUTCMonth() + 1} ${t.getUTCDay()}`;
    },
  },
  {
    name: 'time_add',
    signature: [str, str],
    run: ([time, duration]) =>
      formatTime(
        new Date(parseTime('time_add', time).getTime() + parseDuration('time_add', duration) * 1000),
      ),
  },
  {
    name: 'time_parse',
    signature: [str, str],
    run: ([layout, time]) => {
      checkLayout('time_parse', layout);
      return formatTime(parseTime('time_parse', time));
    },
  },
  { name: 'time_utc', signature: [str], run: ([time]) => formatTime(parseTime('time_utc', time)) },
  {
    name: 'time_before',
    signature: [str, str],
    run: ([a, b]) => parseTime('time_before', a) < parseTime('time_before', b),
  },
  {
    name: 'time_after',
    signature: [str, str],
    run: ([a, b]) => parseTime('time_after', a) > parseTime('time_after', b),
  },
  {
    name: 'time_between',
    signature: [str, str, str],
    run: ([time, start, end]) => {
      const t = parseTime('time_between', time);
      return t > parseTime('time_between', start) && t < parseTime('time_between', end);
    },
  },
  {
    name: 'time_diff',
    signature: [str, str],
    run: ([start, end]) =>
      formatGoDuration(
        (parseTime('time_diff', end).getTime() - parseTime('time_diff', start).getTime()) / 1000,
      ),
  },
  {
    // Rounds down to a multiple of the duration since the zero time, as Go's Time.Truncate (UTC, so the epoch offset is whole days).
    name: 'time_truncate',
    signature: [str, str],
    run: ([time, duration]) => {
      const t = parseTime('time_truncate', time).getTime();
      const step = parseDuration('time_truncate', duration) * 1000;
      if (step <= 0) return formatTime(new Date(t));
      return formatTime(new Date(t - (((t % step) + step) % step)));
    },
  },
];
