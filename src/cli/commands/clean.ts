import { createInterface } from 'node:readline/promises';
import { type Command, Option } from 'commander';
import { SigilError } from '../../core/index.js';
import { CLEAN_TYPES, type CleanType, cleanArtifacts } from '../../cosign/index.js';
import { parseReference } from '../../oci/index.js';
import { addRegistryOptions, type RegistryOptions, registryClient } from '../image-options.js';
import { parseOutput } from '../options.js';
import { info, printResult } from '../output.js';
import { action } from '../run.js';

interface CleanOptions extends RegistryOptions {
  type: CleanType;
  force?: boolean;
  output: 'text' | 'json';
}

const WHAT: Record<CleanType, string> = {
  signature: 'signatures',
  attestation: 'attestations',
  sbom: 'SBOMs',
  referrer: 'referrer attestations and/or signatures',
  notation: 'Notation signatures',
  all: 'signatures, attestations and SBOMs',
};

/** cosign's confirmation: anything but y/yes (also an empty or closed stdin) keeps the artifacts. */
async function confirm(question: string): Promise<boolean> {
  const terminal = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await terminal.question(question);
    // A piped answer is not echoed: end the prompt line so that what follows starts on its own.
    if (!process.stdin.isTTY) process.stderr.write('\n');
    return /^y(es)?$/i.test(answer.trim());
  } catch {
    return false;
  } finally {
    terminal.close();
  }
}

export function registerCleanCommand(program: Command): void {
  addRegistryOptions(
    program
      .command('clean')
      .description("Remove an image's signatures, attestations and/or SBOMs from the registry")
      .argument('<image>', 'image reference: registry/repo:tag or registry/repo@sha256:...')
      .addOption(new Option('--type <type>', 'which artifacts to remove').choices(CLEAN_TYPES).default('all'))
      .option('-f, --force', 'do not ask for confirmation')
      .option('--output <format>', 'text or json', parseOutput, 'text'),
  )
    .addHelpText(
      'after',
      `
Examples:
  sigil clean 127.0.0.1:5000/app:v1
  sigil clean --type signature --force ghcr.io/org/app@sha256:...
  sigil clean --type notation --force 127.0.0.1:5000/app:v1     # the Notation signatures`,
    )
    .action(
      action(async (image: string, opts: CleanOptions) => {
        const reference = parseReference(image);
        const question = `WARNING: this will remove all ${WHAT[opts.type]} from image: ${image}. Are you sure? [y/N] `;
        if (!opts.force && !(await confirm(question))) {
          throw new SigilError(
            'BAD_INPUT',
            `clean of ${image} was not confirmed; nothing was removed`,
            'pass --force',
          );
        }
        const client = registryClient(opts);
        const deleted = await cleanArtifacts(client, reference, opts.type);
        if (opts.output === 'json') return printResult(JSON.stringify({ image, deleted }));
        for (const reference of deleted) info(`Removed ${reference}`);
        if (deleted.length === 0) info(`No ${WHAT[opts.type]} found for ${image}`);
      }),
    );
}
