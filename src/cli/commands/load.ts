/** `sigil load --dir <layout> <image>`: cosign's load, pushing an OCI image layout to a registry. */
import type { Command } from 'commander';
import { formatReference, parseReference, pushOciLayout } from '../../oci/index.js';
import { addRegistryOptions, type RegistryOptions, registryClient } from '../image-options.js';
import { info, printResult } from '../output.js';
import { action } from '../run.js';

interface LoadOptions extends RegistryOptions {
  dir: string;
}

export function registerLoadCommand(program: Command): void {
  addRegistryOptions(
    program
      .command('load')
      .description('Push an image from an OCI image layout directory to a registry (cosign load)')
      .argument('<image>', 'where to: registry/repo[:tag] (the tag defaults to latest)')
      .requiredOption(
        '--dir <path>',
        'the OCI image layout holding one image (oci-layout, index.json, blobs/)',
      ),
  )
    .addHelpText(
      'after',
      `
Prints the pushed image by digest (registry/repo@sha256:...) on stdout, the reference to sign.

Examples:
  sigil load --dir build/oci ghcr.io/org/app:v1
  IMAGE=$(sigil load --dir build/oci 127.0.0.1:5000/app:v1) && sigil sign --yes "$IMAGE"`,
    )
    .action(
      action(async (image: string, opts: LoadOptions) => {
        const ref = parseReference(image);
        const digest = await pushOciLayout(registryClient(opts), opts.dir, ref);
        info(`Pushed ${opts.dir} to ${formatReference(ref)}`);
        printResult(formatReference({ ...ref, tag: undefined, digest }));
      }),
    );
}
