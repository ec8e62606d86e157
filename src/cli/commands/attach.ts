import type { Command } from 'commander';
import { readUserFile } from '../../core/index.js';
import { attachSbom, downloadSboms, sbomMediaType } from '../../cosign/index.js';
import { parseReference } from '../../oci/index.js';
import { addInsecureRegistryOption, type RegistryOptions, registryClient } from '../image-options.js';
import { info, printResult, warn } from '../output.js';
import { action } from '../run.js';

interface AttachSbomOptions extends RegistryOptions {
  sbom: string;
  type: string;
  inputFormat: string;
}

export function registerAttachCommands(program: Command): void {
  const attach = program
    .command('attach')
    .description("Attach supporting artifacts to an image (cosign's attach)");
  addInsecureRegistryOption(
    attach
      .command('sbom')
      .description(
        'Attach an SBOM to an image, unsigned (tag sha256-<digest>.sbom); prefer attest for a signed one',
      )
      .argument('<image>', 'image reference')
      .requiredOption('--sbom <file>', 'the SBOM document')
      .option('--type <type>', 'spdx, cyclonedx or syft', 'spdx')
      .option('--input-format <format>', 'json, xml or text', 'json')
      .addHelpText(
        'after',
        '\nExamples:\n  sigil attach sbom --sbom sbom.spdx.json 127.0.0.1:5000/app@sha256:...\n  sigil attach sbom --type cyclonedx --sbom bom.json ghcr.io/org/app:v1',
      ),
  ).action(
    action(async (image: string, opts: AttachSbomOptions) => {
      const mediaType = sbomMediaType(opts.type, opts.inputFormat);
      const content = readUserFile(opts.sbom, 'SBOM');
      warn(
        'Attaching SBOMs this way does not sign them. To sign them, use `sigil attest --predicate ... --type spdxjson`.',
      );
      const result = await attachSbom(registryClient(opts), parseReference(image), content, mediaType);
      info(`Uploading SBOM file for [${image}] to [${result.reference}] with mediaType [${mediaType}].`);
    }),
  );

  const download = program.command('download').description("Download an image's supporting artifacts");
  addInsecureRegistryOption(
    download
      .command('sbom')
      .description('Print the SBOMs attached to an image')
      .argument('<image>', 'image reference')
      .addHelpText('after', '\nExample:\n  sigil download sbom 127.0.0.1:5000/app:v1 > sbom.spdx.json'),
  ).action(
    action(async (image: string, opts: RegistryOptions) => {
      for (const sbom of await downloadSboms(registryClient(opts), parseReference(image))) {
        info(`Found SBOM of media type: ${sbom.mediaType}`);
        printResult(sbom.content.toString('utf8'));
      }
    }),
  );
}
