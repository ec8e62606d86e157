/** Option parsers shared by commands, in cosign's (pflag's) conventions. */
import { type Command, InvalidArgumentError } from 'commander';

/** pflag booleans: `--flag`, `--flag=true`, `--flag=false` (commander passes the text after `=`). */
export function parseBool(value: string): boolean {
  if (['true', '1', 't', 'T', 'TRUE', 'True'].includes(value)) return true;
  if (['false', '0', 'f', 'F', 'FALSE', 'False'].includes(value)) return false;
  throw new InvalidArgumentError(`expected true or false, got "${value}"`);
}

/**
 * pflag booleans never take the next argument as their value (`--insecure-ignore-tlog IMAGE` is a flag
 * and an image), but commander's optional values would. So a bare boolean flag gets `=true` attached
 * before parsing; `--flag=false` passes through as is.
 */
export function attachBooleanValues(program: Command, argv: readonly string[]): string[] {
  // Each spelling of a boolean flag (`--verbose`, `-d`) to its long form.
  const booleans = new Map<string, string>();
  const collect = (command: Command): void => {
    for (const option of command.options) {
      if (!option.flags.includes('[bool]') || !option.long) continue;
      booleans.set(option.long, option.long);
      if (option.short) booleans.set(option.short, option.long);
    }
    command.commands.forEach(collect);
  };
  collect(program);
  const end = argv.indexOf('--');
  return argv.map((arg, i) => {
    const long = end === -1 || i < end ? booleans.get(arg) : undefined;
    return long ? `${long}=true` : arg;
  });
}

/** `-a key=value`, repeatable, into a map. */
export function collectAnnotation(value: string, previous: Record<string, string>): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`annotation "${value}" must be key=value`);
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}

export function parseOutput(value: string): 'text' | 'json' {
  if (value !== 'text' && value !== 'json') throw new InvalidArgumentError('must be "text" or "json"');
  return value;
}

export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new InvalidArgumentError(`expected a positive integer, got "${value}"`);
  return n;
}

export function parseNonNegativeInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) {
    throw new InvalidArgumentError(`expected a non-negative integer, got "${value}"`);
  }
  return n;
}
