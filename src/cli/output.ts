/**
 * What the CLI shows: results on stdout (JSON with --output json, text otherwise), progress and
 * diagnostics on stderr, so that `sigil verify ... | jq` and `sigil sign-blob ... > sig` stay clean.
 */
import { isSigilError, type SigilError } from '../core/index.js';

export type OutputFormat = 'text' | 'json';

export function info(message: string): void {
  process.stderr.write(`${message}\n`);
}

export function warn(message: string): void {
  process.stderr.write(`WARNING: ${message}\n`);
}

export function printResult(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

/**
 * One line for people on stderr (`Error: <message>` and, when there is one, a `hint:` line), and with
 * `--output json` also one JSON object on stdout for machines. Foreign errors are bugs or environment
 * failures; their message is shown as is.
 */
export function reportError(err: unknown, format: OutputFormat): void {
  const sigil = isSigilError(err) ? (err as SigilError) : undefined;
  const message = err instanceof Error ? err.message : String(err);
  if (format === 'json') {
    const body = {
      error: { code: sigil?.code ?? 'INTERNAL', message, ...(sigil?.hint ? { hint: sigil.hint } : {}) },
    };
    process.stdout.write(`${JSON.stringify(body)}\n`);
  }
  process.stderr.write(`Error: ${message}\n`);
  if (sigil?.hint) process.stderr.write(`hint: ${sigil.hint}\n`);
  if (!sigil && process.env.SIGIL_DEBUG && err instanceof Error && err.stack)
    process.stderr.write(`${err.stack}\n`);
}
