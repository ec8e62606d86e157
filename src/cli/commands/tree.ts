import type { Command } from 'commander';
import { imageTree, treeText } from '../../cosign/index.js';
import { parseReference } from '../../oci/index.js';
import { addRegistryOptions, type RegistryOptions, registryClient } from '../image-options.js';
import { parseOutput } from '../options.js';
import { printResult } from '../output.js';
import { action } from '../run.js';

interface TreeOptions extends RegistryOptions {
  output: 'text' | 'json';
}

export function registerTreeCommand(program: Command): void {
  addRegistryOptions(
    program
      .command('tree')
      .description(
        "Show an image's supply-chain artifacts: signatures, attestations, SBOMs and OCI referrers",
      )
      .argument('<image>', 'image reference: registry/repo:tag or registry/repo@sha256:...')
      .option('-o, --output <format>', 'text or json', parseOutput, 'text'),
  )
    .addHelpText(
      'after',
      '\nExamples:\n  sigil tree 127.0.0.1:5000/app:v1\n  sigil tree -o json ghcr.io/org/app@sha256:... | jq .artifacts',
    )
    .action(
      action(async (image: string, opts: TreeOptions) => {
        const tree = await imageTree(registryClient(opts), parseReference(image));
        printResult(opts.output === 'json' ? JSON.stringify(tree) : treeText(tree));
      }),
    );
}
