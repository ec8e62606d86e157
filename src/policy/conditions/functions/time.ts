import { TYPE_STRING } from '@jmespath-community/jmespath';
import { formatGoDuration, parseGoDuration } from '../duration.js';
import { formatRfc3339, type GoTime, localFields, parseGoTime, RFC3339_LAYOUT } from '../go-time.js';
import { type CustomFunction, FunctionError } from './types.js';

function parseTime(functionName: string, text: unknown, layout = RFC3339_LAYOUT): GoTime {
  const time = parseGoTime(layout, String(text));
  if (time === undefined) {
    const expected =
      layout === RFC3339_LAYOUT ? 'an RFC 3339 time' : `a time in layout ${JSON.stringify(layout)}`;
    throw new FunctionError(functionName, `${JSON.stringify(text)} is not ${expected}`);
  }
  return time;
}

function parseDuration(functionName: string, text: unknown): number {
  const seconds = parseGoDuration(String(text));
  if (seconds === undefined)
    throw new FunctionError(functionName, `${JSON.stringify(text)} is not a duration`);
  return seconds;
}

const now = (): GoTime => ({ epochMs: Date.now(), offsetMinutes: 0 });
const shifted = (time: GoTime, seconds: number): GoTime => ({
  ...time,
  epochMs: time.epochMs + seconds * 1000,
});
const between = (from: GoTime, to: GoTime): string => formatGoDuration((to.epochMs - from.epochMs) / 1000);

const str = { types: [TYPE_STRING] };

export const timeFunctions: CustomFunction[] = [
  // Kyverno's time_now prints the controller's local zone; ours runs in UTC, which keeps results reproducible.
  { name: 'time_now', signature: [], run: () => formatRfc3339(now()) },
  { name: 'time_now_utc', signature: [], run: () => formatRfc3339(now()) },
  {
    // time_since(layout, start, end): end - start as a Go duration; "" layout is RFC 3339, "" end is now.
    name: 'time_since',
    signature: [str, str, str],
    run: ([layout, start, end]) => {
      const format = layout === '' ? RFC3339_LAYOUT : String(layout);
      return between(
        parseTime('time_since', start, format),
        end === '' ? now() : parseTime('time_since', end, format),
      );
    },
  },
  {
    name: 'time_to_cron',
    signature: [str],
    run: ([time]) => {
      const t = localFields(parseTime('time_to_cron', time));
      return `${t.minute} ${t.hour} ${t.day} ${t.month} ${t.weekday}`;
    },
  },
  {
    name: 'time_add',
    signature: [str, str],
    run: ([time, duration]) =>
      formatRfc3339(shifted(parseTime('time_add', time), parseDuration('time_add', duration))),
  },
  {
    // A layout that is a number means the time is Unix seconds.
    name: 'time_parse',
    signature: [str, str],
    run: ([layout, time]) => {
      if (/^[+-]?\d+$/.test(String(layout))) {
        if (!/^[+-]?\d+$/.test(String(time)))
          throw new FunctionError('time_parse', `${JSON.stringify(time)} is not Unix seconds`);
        return formatRfc3339({ epochMs: Number(time) * 1000, offsetMinutes: 0 });
      }
      return formatRfc3339(parseTime('time_parse', time, String(layout)));
    },
  },
  {
    name: 'time_utc',
    signature: [str],
    run: ([time]) => formatRfc3339({ ...parseTime('time_utc', time), offsetMinutes: 0 }),
  },
  {
    name: 'time_before',
    signature: [str, str],
    run: ([a, b]) => parseTime('time_before', a).epochMs < parseTime('time_before', b).epochMs,
  },
  {
    name: 'time_after',
    signature: [str, str],
    run: ([a, b]) => parseTime('time_after', a).epochMs > parseTime('time_after', b).epochMs,
  },
  {
    name: 'time_between',
    signature: [str, str, str],
    run: ([time, start, end]) => {
      const t = parseTime('time_between', time).epochMs;
      return t > parseTime('time_between', start).epochMs && t < parseTime('time_between', end).epochMs;
    },
  },
  {
    name: 'time_diff',
    signature: [str, str],
    run: ([start, end]) => between(parseTime('time_diff', start), parseTime('time_diff', end)),
  },
  {
    // Go's Time.Truncate rounds down to a multiple of the duration since Go's zero time, which lies a whole number of
    // days before the Unix epoch, so for the usual steps (dividing a day) the epoch is as good an origin.
    name: 'time_truncate',
    signature: [str, str],
    run: ([time, duration]) => {
      const t = parseTime('time_truncate', time);
      const step = parseDuration('time_truncate', duration) * 1000;
      if (step <= 0) return formatRfc3339(t);
      return formatRfc3339({ ...t, epochMs: t.epochMs - (((t.epochMs % step) + step) % step) });
    },
  },
];
