/** Runs a command's action: any error becomes one clear line (or JSON) and exit code 1, as cosign does. */
import { Command } from 'commander';
import { isSigilError, SigilError } from '../core/index.js';
import { type OutputFormat, reportError } from './output.js';

export function action<A extends unknown[]>(
  handler: (...args: A) => Promise<void>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await handler(...args);
    } catch (err) {
      reportError(naming(commandOf(args), err), outputOf(args));
      process.exitCode = 1;
    }
  };
}

function commandOf(args: unknown[]): Command | undefined {
  return args.find((arg): arg is Command => arg instanceof Command);
}

/**
 * A missing optional module is a property of the install, not of the input: the line names the command
 * that needed it (`sigil serve: the embedded log store needs the optional module better-sqlite3, ...`).
 */
function naming(command: Command | undefined, err: unknown): unknown {
  if (!command || !isSigilError(err, 'MISSING_MODULE')) return err;
  const path: string[] = [];
  for (let at: Command | null = command; at; at = at.parent) path.unshift(at.name());
  return new SigilError(err.code, `${path.join(' ')}: ${err.message}`, err.hint, { cause: err });
}

/**
 * JSON errors only when the user asked for `--output json` on the command line: `verify` defaults to
 * JSON for its result (as cosign does), but its errors stay text on stderr unless asked for.
 */
function outputOf(args: unknown[]): OutputFormat {
  const command = commandOf(args);
  const asked =
    command?.getOptionValueSource('output') === 'cli' && command.getOptionValue('output') === 'json';
  return asked ? 'json' : 'text';
}
