import { type Command, Option } from 'commander';
import { TRIANGULATE_TYPES, type TriangulateType, triangulate } from '../../cosign/index.js';
import { parseReference } from '../../oci/index.js';
import { addRegistryOptions, type RegistryOptions, registryClient } from '../image-options.js';
import { printResult } from '../output.js';
import { action } from '../run.js';

interface TriangulateOptions extends RegistryOptions {
  type: TriangulateType;
}

export function registerTriangulateCommand(program: Command): void {
  addRegistryOptions(
    program
      .command('triangulate')
      .description("Print the reference where an image's signatures, attestations or SBOM are stored")
      .argument('<image>', 'image reference: registry/repo:tag or registry/repo@sha256:...')
      .addOption(
        new Option('--type <type>', 'which artifact to locate')
          .choices(TRIANGULATE_TYPES)
          .default('signature'),
      ),
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
        const client = registryClient(opts);
        printResult(await triangulate(client, parseReference(image), opts.type));
      }),
    );
}
