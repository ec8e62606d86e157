/**
 * Times the way Go's `time` package reads and writes them for Kyverno's time functions: parsing by a Go reference
 * layout (`2006-01-02T15:04:05Z07:00`, `Jan 2 15:04:05 2006 MST`, …), keeping the parsed zone offset, and printing
 * RFC 3339 in that offset (`Z` for UTC) as `t.Format(time.RFC3339)` does.
 */
import { escapeRegExp } from '../../core/index.js';
export interface GoTime {
  /** Milliseconds since the Unix epoch. */
  epochMs: number;
  /** The zone offset the time was written in, in minutes east of UTC. */
  offsetMinutes: number;
}

export const RFC3339_LAYOUT = '2006-01-02T15:04:05Z07:00';

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

interface Fields {
  year?: number;
  month?: number;
  day?: number;
  hour?: number;
  minute?: number;
  second?: number;
  fraction?: string;
  pm?: boolean;
  offsetMinutes?: number;
}

type Setter = (fields: Fields, text: string) => void;

const number =
  (key: 'year' | 'month' | 'day' | 'hour' | 'minute' | 'second'): Setter =>
  (f, t) => {
    f[key] = Number(t.trim());
  };

function setOffset(fields: Fields, text: string): void {
  if (text === 'Z') {
    fields.offsetMinutes = 0;
    return;
  }
  const m = /^([+-])(\d{2}):?(\d{2})?(?::?\d{2})?$/.exec(text);
  if (m === null) return;
  fields.offsetMinutes = (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3] ?? 0));
}

const shortName = (names: string[]) => names.map((n) => n.slice(0, 3)).join('|');

/** Layout tokens, longest first where one is a prefix of another, with the input they accept. */
const TOKENS: [token: string, pattern: string, set?: Setter][] = [
  [
    'January',
    MONTHS.join('|'),
    (f, t) => {
      f.month = MONTHS.findIndex((m) => m.toLowerCase() === t.toLowerCase()) + 1;
    },
  ],
  [
    'Jan',
    shortName(MONTHS),
    (f, t) => {
      f.month = MONTHS.findIndex((m) => m.slice(0, 3).toLowerCase() === t.toLowerCase()) + 1;
    },
  ],
  ['Monday', DAYS.join('|')],
  ['Mon', shortName(DAYS)],
  [
    'MST',
    '[A-Z]{3,5}|[+-]\\d{2,4}',
    (f, t) => {
      if (t === 'UTC' || t === 'GMT') f.offsetMinutes ??= 0;
    },
  ],
  ['2006', '\\d{4}', number('year')],
  ['Z07:00', 'Z|[+-]\\d{2}:\\d{2}', setOffset],
  ['Z0700', 'Z|[+-]\\d{4}', setOffset],
  ['Z07', 'Z|[+-]\\d{2}', setOffset],
  ['-07:00:00', '[+-]\\d{2}:\\d{2}:\\d{2}', setOffset],
  ['-07:00', '[+-]\\d{2}:\\d{2}', setOffset],
  ['-0700', '[+-]\\d{4}', setOffset],
  ['-07', '[+-]\\d{2}', setOffset],
  ['01', '\\d{2}', number('month')],
  ['02', '\\d{2}', number('day')],
  ['_2', '[ \\d]\\d', number('day')],
  ['03', '\\d{2}', number('hour')],
  ['04', '\\d{2}', number('minute')],
  ['05', '\\d{2}', number('second')],
  [
    '06',
    '\\d{2}',
    (f, t) => {
      f.year = 2000 + Number(t) - (Number(t) >= 69 ? 100 : 0);
    },
  ],
  ['15', '\\d{2}', number('hour')],
  [
    'PM',
    'AM|PM',
    (f, t) => {
      f.pm = t === 'PM';
    },
  ],
  [
    'pm',
    'am|pm',
    (f, t) => {
      f.pm = t === 'pm';
    },
  ],
  ['1', '\\d{1,2}', number('month')],
  ['2', '\\d{1,2}', number('day')],
  ['3', '\\d{1,2}', number('hour')],
  ['4', '\\d{1,2}', number('minute')],
  ['5', '\\d{1,2}', number('second')],
];

const FRACTION = /^[.,](0+|9+)(?![0-9])/;

interface CompiledLayout {
  regex: RegExp;
  setters: Setter[];
}

const compiledLayouts = new Map<string, CompiledLayout>();

function compileLayout(layout: string): CompiledLayout {
  const cached = compiledLayouts.get(layout);
  if (cached !== undefined) return cached;
  let source = '';
  const setters: Setter[] = [];
  let rest = layout;
  let afterSeconds = false;
  const optionalFraction = () => {
    // Go accepts a fractional second right after the seconds even when the layout does not show one.
    source += '(?:[.,](\\d+))?';
    setters.push((f, t) => {
      f.fraction = t;
    });
  };
  while (rest.length > 0) {
    const fraction = FRACTION.exec(rest);
    if (fraction !== null) {
      // .000 demands exactly that many digits; .999 takes any number, or none.
      const digits = fraction[1] ?? '';
      source += digits.startsWith('0') ? `[.,](\\d{${digits.length}})` : '(?:[.,](\\d+))?';
      setters.push((f, t) => {
        f.fraction = t;
      });
      rest = rest.slice(fraction[0].length);
      afterSeconds = false;
      continue;
    }
    if (afterSeconds) optionalFraction();
    const match = TOKENS.find(([token]) => rest.startsWith(token));
    if (match === undefined) {
      source += escapeRegExp(rest[0] ?? '');
      rest = rest.slice(1);
      afterSeconds = false;
      continue;
    }
    const [token, pattern, set] = match;
    source += `(${pattern})`;
    setters.push(set ?? (() => undefined));
    rest = rest.slice(token.length);
    afterSeconds = token === '05' || token === '5';
  }
  if (afterSeconds) optionalFraction();
  const compiled = { regex: new RegExp(`^${source}$`, 'i'), setters };
  compiledLayouts.set(layout, compiled);
  return compiled;
}

/** Parses `text` by the Go `layout`; undefined when it does not fit or names an impossible date. */
export function parseGoTime(layout: string, text: string): GoTime | undefined {
  const { regex, setters } = compileLayout(layout);
  const match = regex.exec(text);
  if (match === null) return undefined;
  const fields: Fields = {};
  setters.forEach((set, i) => {
    const captured = match[i + 1];
    if (captured !== undefined) set(fields, captured);
  });
  let hour = fields.hour ?? 0;
  if (fields.pm !== undefined) hour = (hour % 12) + (fields.pm ? 12 : 0);
  const year = fields.year ?? 0;
  const month = fields.month ?? 1;
  const day = fields.day ?? 1;
  const minute = fields.minute ?? 0;
  const second = fields.second ?? 0;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59)
    return undefined;
  const utc = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(utc);
  if (check.getUTCDate() !== day) return undefined; // 31 April and the like
  const millis = fields.fraction === undefined ? 0 : Math.floor(Number(`0.${fields.fraction}`) * 1000);
  const offsetMinutes = fields.offsetMinutes ?? 0;
  return { epochMs: utc + millis - offsetMinutes * 60_000, offsetMinutes };
}

/** RFC 3339 in the time's own offset, seconds precision, `Z` for UTC (Go's `Format(time.RFC3339)`). */
export function formatRfc3339(time: GoTime): string {
  const local = new Date(time.epochMs + time.offsetMinutes * 60_000);
  const stamp = local.toISOString().slice(0, 19);
  if (time.offsetMinutes === 0) return `${stamp}Z`;
  const sign = time.offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(time.offsetMinutes);
  return `${stamp}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** The calendar fields of `time` in its own offset, for time_to_cron. */
export function localFields(time: GoTime): {
  minute: number;
  hour: number;
  day: number;
  month: number;
  weekday: number;
} {
  const local = new Date(time.epochMs + time.offsetMinutes * 60_000);
  return {
    minute: local.getUTCMinutes(),
    hour: local.getUTCHours(),
    day: local.getUTCDate(),
    month: local.getUTCMonth() + 1,
    weekday: local.getUTCDay(),
  };
}
