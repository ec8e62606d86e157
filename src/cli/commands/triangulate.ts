import { type Command, Option } from 'commander';
import { TRIANGULATE_TYPES, type TriangulateType, triangulate } from '../../cosign/index.js';
import { parseReference, RegistryClient } from '../../oci/index.js';
import { parseBool } from '../options.js';
import { printResult } from '../output.js';
import { action } from '../run.js';

interface TriangulateOptions {
  type: TriangulateType;
  allowInsecureRegistry: boolean;
}

export function registerTriangulateCommand(program: Command): void {
  program
    .command('triangulate')
    .description("Print the reference where an image's signatures, attestations or SBOM are stored")
    .argument('<image>', 'image reference: registry/repo:tag or registry/repo@sha256:...')
    .addOption(
      new Option('--type <type>', 'which artifact to locate').choices(TRIANGULATE_TYPES).default('signature'),
    )
    .option(
      '--allow-insecure-registry [bool]',
      'allow plain-HTTP registries other than loopback',
      parseBool,
      false,
    )
    .addHelpText(
      'after',
      `
Examples:
  sigil triangulate 127.0.0.1:5000/app:v1
  sigil triangulate --type attestation ghcr.io/org/app:v1
  COSIGN_REPOSITORY=registry.internal/signatures sigil triangulate registry.internal/app:v1`,
    )
    .action(
      action(async (image: string, opts: TriangulateOptions) => {
        const client = new RegistryClient({ insecure: opts.allowInsecureRegistry });
        printResult(await triangulate(client, parseReference(image), opts.type));
      }),
    );
}
