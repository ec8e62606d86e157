import type { Command } from 'commander';
import { SigilError } from '../../core/index.js';
import { startRegistry } from '../../oci/index.js';
import { parseAddress } from '../address.js';
import { info } from '../output.js';
import { action } from '../run.js';
import { closeOnSignal } from '../serving.js';

export function registerRegistryCommands(program: Command): void {
  const registry = program
    .command('registry')
    .description('The embedded OCI registry (distribution-spec v1.1)');
  registry
    .command('serve')
    .description('Serve an OCI registry with filesystem storage and the referrers API')
    .option('--addr <host:port>', 'address to listen on', '127.0.0.1:5000')
    .option('--data-dir <dir>', 'where blobs, manifests and tags are stored', './.sigil/registry')
    .addHelpText(
      'after',
      `
Basic auth is enabled when SIGIL_REGISTRY_USERNAME and SIGIL_REGISTRY_PASSWORD are set.

Examples:
  sigil registry serve --addr 127.0.0.1:5000 --data-dir ./.sigil/registry
  SIGIL_REGISTRY_USERNAME=ci SIGIL_REGISTRY_PASSWORD=secret sigil registry serve --addr 0.0.0.0:5000`,
    )
    .action(
      action(async (opts: { addr: string; dataDir: string }) => {
        const { host, port } = parseAddress(opts.addr);
        const username = process.env.SIGIL_REGISTRY_USERNAME;
        const password = process.env.SIGIL_REGISTRY_PASSWORD;
        if ((username === undefined) !== (password === undefined)) {
          throw new SigilError(
            'BAD_INPUT',
            'set both SIGIL_REGISTRY_USERNAME and SIGIL_REGISTRY_PASSWORD, or neither',
          );
        }
        const server = await startRegistry({
          host,
          port,
          dataDir: opts.dataDir,
          ...(username !== undefined && password !== undefined ? { auth: { username, password } } : {}),
        });
        info(`registry listening on ${server.url} (data in ${opts.dataDir})`);
        closeOnSignal(server.close);
      }),
    );
}
