/**
 * Argument and output helpers for the attestation and artifact interop tests with the real cosign (run it
 * with runCosign from cosign.ts).
 */

/** `attest` with the key `cosign.key` (both tools take the same flags). */
export function attestArgs(type: string, predicate: string): string[] {
  return ['attest', '--key', 'cosign.key', '--type', type, '--predicate', predicate];
}

/** The in-toto statements in cosign's (or sigil's) verify-attestation output: one DSSE envelope a line. */
export function printedStatements(stdout: string): { predicateType: string; predicate: unknown }[] {
  return stdout
    .trim()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(Buffer.from(JSON.parse(line).payload, 'base64').toString('utf8')));
}
