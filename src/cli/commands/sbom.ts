import type { Command } from 'commander';
import { SigilError, writeFileAtomic } from '../../core/index.js';
import { generateSbom, generateSbomForDirectory, SBOM_FORMATS, type SbomFormat } from '../../sbom/index.js';
import { addRegistryOptions, type RegistryOptions, registryClient } from '../image-options.js';
import { info, printResult, warn } from '../output.js';
import { action } from '../run.js';

interface SbomOptions extends RegistryOptions {
  output: string;
  outputFile?: string;
  dir?: string;
  platform?: string;
}

/** Accepts syft's `-o spdx-json=FILE` form as well as `-o spdx-json --output-file FILE`. */
function parseFormat(value: string): { format: SbomFormat; file?: string } {
  const [name, file] = value.split(/=(.*)/s, 2);
  if (!SBOM_FORMATS.includes(name as SbomFormat)) {
    throw new SigilError(
      'BAD_INPUT',
      `unknown SBOM format "${name}"`,
      `use one of: ${SBOM_FORMATS.join(', ')}`,
    );
  }
  return { format: name as SbomFormat, file: file || undefined };
}

export function parsePlatform(value: string): { os: string; architecture: string; variant?: string } {
  const [os, architecture, variant] = value.split('/');
  if (!os || !architecture)
    throw new SigilError('BAD_INPUT', `--platform "${value}" is not os/arch[/variant]`);
  return variant ? { os, architecture, variant } : { os, architecture };
}

export function registerSbomCommand(program: Command): void {
  addRegistryOptions(
    program
      .command('sbom')
      .description(
        'Generate an SBOM (SPDX 2.3 or CycloneDX 1.6 JSON) for an image or a root filesystem directory',
      )
      .argument('[image]', 'the image reference to catalog')
      .option(
        '-o, --output <format>',
        `SBOM format (${SBOM_FORMATS.join(', ')}), optionally =FILE`,
        'spdx-json',
      )
      .option('--output-file <file>', 'write the SBOM to this file instead of stdout')
      .option('--dir <rootfs>', 'catalog a root filesystem directory instead of an image')
      .option('--platform <os/arch>', 'platform to pick from an image index (default linux/amd64)'),
  )
    .addHelpText(
      'after',
      `
Examples:
  sigil sbom localhost:5000/app:1.0 -o spdx-json > sbom.spdx.json
  sigil sbom localhost:5000/app:1.0 -o cyclonedx-json=sbom.cdx.json
  sigil sbom --platform linux/arm64 registry.example.com/app@sha256:... --output-file sbom.json
  sigil sbom --dir ./rootfs -o cyclonedx-json`,
    )
    .action(
      action(async (image: string | undefined, opts: SbomOptions) => {
        const { format, file } = parseFormat(opts.output);
        if (!image === !opts.dir)
          throw new SigilError('BAD_INPUT', 'give either an image reference or --dir, not both or neither');
        const result = opts.dir
          ? generateSbomForDirectory(opts.dir, format)
          : await generateSbom(image ?? '', format, {
              client: registryClient(opts),
              platform: opts.platform ? parsePlatform(opts.platform) : undefined,
            });
        for (const message of result.warnings) warn(message);
        const target = file ?? opts.outputFile;
        if (target) {
          await writeFileAtomic(target, result.document);
          info(`Wrote ${result.packages.length} packages to ${target}`);
        } else printResult(result.document);
      }),
    );
}
