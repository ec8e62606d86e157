/** Option parsers shared by commands, in cosign's (pflag's) conventions. */
import { InvalidArgumentError } from 'commander';

/** pflag booleans: `--flag`, `--flag=true`, `--flag=false` (commander passes the text after `=`). */
export function parseBool(value: string): boolean {
  if (['true', '1', 't', 'T', 'TRUE', 'True'].includes(value)) return true;
  if (['false', '0', 'f', 'F', 'FALSE', 'False'].includes(value)) return false;
  throw new InvalidArgumentError(`expected true or false, got "${value}"`);
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
