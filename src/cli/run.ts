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

/** The --output of the command, found among commander's action arguments (its options object). */
function outputOf(args: unknown[]): OutputFormat {
  for (const arg of args) {
    if (typeof arg === 'object' && arg !== null && (arg as { output?: unknown }).output === 'json')
      return 'json';
  }
  return 'text';
}
