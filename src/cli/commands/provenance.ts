import type { Command } from 'commander';
import { writeFileAtomic } from '../../core/index.js';
import { ciProvenance } from '../../formats/index.js';
import { info, printResult } from '../output.js';
import { action } from '../run.js';

export function registerProvenanceCommand(program: Command): void {
  program
    .command('provenance')
    .description(
      'Write a SLSA v1 provenance predicate for the CI job running now (GitHub Actions, GitLab CI)',
    )
    .option('--output-file <file>', 'write it to this file instead of stdout')
    .addHelpText(
      'after',
      `
Examples (inside the CI job that built the image):
  sigil provenance --output-file provenance.json
  sigil attest --yes --type slsaprovenance1 --predicate provenance.json ghcr.io/org/app@sha256:...`,
    )
    .action(
      action(async (opts: { outputFile?: string }) => {
        const predicate = JSON.stringify(ciProvenance(process.env, new Date()), null, 2);
        if (!opts.outputFile) return printResult(predicate);
        await writeFileAtomic(opts.outputFile, `${predicate}\n`);
        info(`Wrote the provenance predicate to ${opts.outputFile}`);
      }),
    );
}
