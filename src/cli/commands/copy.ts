import { type Command, InvalidArgumentError } from 'commander';
import { COPY_ONLY_VALUES, type CopyResult, copyImage } from '../../cosign/index.js';
import type { ArtifactSuffix } from '../../formats/index.js';
import { parseReference } from '../../oci/index.js';
import { addRegistryOptions, type RegistryOptions, registryClient } from '../image-options.js';
import { parseBool, parseOutput } from '../options.js';
import { info, printResult, warn } from '../output.js';
import { action } from '../run.js';
import { parsePlatform } from './sbom.js';

interface CopyCommandOptions extends RegistryOptions {
  only?: ArtifactSuffix[];
  sigOnly: boolean;
  force?: boolean;
  platform?: string;
  output: 'text' | 'json';
}

/** cosign's `--only`: comma-separated and repeatable, each value one of sig, att, sbom. */
function collectOnly(value: string, previous: ArtifactSuffix[] = []): ArtifactSuffix[] {
  const values = value.split(',').map((v) => v.trim());
  for (const v of values) {
    if (!(COPY_ONLY_VALUES as readonly string[]).includes(v)) {
      throw new InvalidArgumentError(
        `invalid value "${v}": only the following values are supported: ${COPY_ONLY_VALUES.join(', ')}`,
      );
    }
  }
  return [...new Set([...previous, ...(values as ArtifactSuffix[])])];
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
}

function summary(result: CopyResult): string {
  const { stats } = result;
  const copied = result.items.filter((i) => i.status === 'copied').length;
  const unchanged = result.items.length - copied;
  return [
    `Copied ${result.source} to ${result.destination} (${result.digest}):`,
    `${copied} item(s) copied, ${unchanged} already in place;`,
    `${stats.manifests} manifest(s) written, ${stats.manifestsPresent} present;`,
    `${stats.blobsCopied} blob(s) copied (${mib(stats.bytes)}), ${stats.blobsMounted} mounted, ${stats.blobsPresent} present`,
  ].join(' ');
}

export function registerCopyCommand(program: Command): void {
  addRegistryOptions(
    program
      .command('copy')
      .description(
        'Copy an image with its signatures, attestations, SBOMs and OCI referrers to another repository or registry',
      )
      .argument('<source>', 'image to copy: registry/repo:tag or registry/repo@sha256:...')
      .argument('<destination>', 'where to: registry/repo[:tag] (the tag defaults to latest)')
      .option(
        '--only <kinds>',
        'copy only these artifacts, comma-separated: sig, att, sbom (not the image, nor its tag)',
        collectOnly,
      )
      .option('--sig-only [bool]', '[DEPRECATED: use --only=sig] copy only the signatures', parseBool, false)
      .option(
        '-f, --force',
        'overwrite destination tags that name other content (without it such a copy fails and writes nothing)',
      )
      .option('--platform <os/arch[/variant]>', 'copy only this platform of a multi-platform image')
      .option('-o, --output <format>', 'text or json (a summary on stdout)', parseOutput, 'text'),
  )
    .addHelpText(
      'after',
      `
Without --force, a destination tag (the image's, or a sha256-<hex>.sig/.att/.sbom) that already names
other content stops the copy before anything is written; one naming the same content is left as it is.
Progress goes to stderr.

Examples:
  sigil copy 127.0.0.1:5000/app:v1 registry.internal:5000/mirror/app:v1
  sigil copy --only=sig,att 127.0.0.1:5000/app@sha256:... registry.internal:5000/mirror/app
  sigil copy -f --platform linux/arm64 ghcr.io/org/app:v1 127.0.0.1:5000/app:v1-arm64
  sigil copy -o json 127.0.0.1:5000/app:v1 127.0.0.1:5000/backup/app:v1 | jq .stats`,
    )
    .action(
      action(async (source: string, destination: string, opts: CopyCommandOptions) => {
        if (opts.sigOnly) warn('--sig-only is deprecated, use --only=sig instead');
        const only = opts.sigOnly ? collectOnly('sig', opts.only) : opts.only;
        const client = registryClient(opts);
        const result = await copyImage(client, parseReference(source), parseReference(destination), {
          ...(only ? { only } : {}),
          force: opts.force ?? false,
          ...(opts.platform ? { platform: parsePlatform(opts.platform) } : {}),
          onProgress: info,
        });
        if (opts.output === 'json') printResult(JSON.stringify(result));
        else info(summary(result));
      }),
    );
}
