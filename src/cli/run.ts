/** Runs a command's action: any error becomes one clear line (or JSON) and exit code 1, as cosign does. */
import { Command } from 'commander';
import { type OutputFormat, reportError } from './output.js';

export function action<A extends unknown[]>(
  handler: (...args: A) => Promise<void>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await handler(...args);
    } catch (err) {
      reportError(err, outputOf(args));
      process.exitCode = 1;
    }
  };
}

/**
 * JSON errors only when the user asked for `--output json` on the command line: `verify` defaults to
 * JSON for its result (as cosign does), but its errors stay text on stderr unless asked for.
 */
function outputOf(args: unknown[]): OutputFormat {
  const command = args.find((arg): arg is Command => arg instanceof Command);
  const asked =
    command?.getOptionValueSource('output') === 'cli' && command.getOptionValue('output') === 'json';
  return asked ? 'json' : 'text';
}
