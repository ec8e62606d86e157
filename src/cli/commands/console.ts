/** `sigil console serve`: the read-only web console for a deployed private Sigstore. */
import type { Command } from 'commander';
import { readUserFile } from '../../core/index.js';
import { RegistryClient } from '../../oci/index.js';
import { startConsole } from '../../server/index.js';
import { parseTrustedRoot } from '../../verify/index.js';
import { parseAddress, parseHttpUrl } from '../address.js';
import { info } from '../output.js';
import { action } from '../run.js';
import { closeOnSignal } from '../serving.js';

interface ConsoleServeOptions {
  addr: string;
  tlogUrl: string;
  registry?: string;
  admissionUrl?: string;
  upstreamCacert?: string;
  trustedRoot?: string;
  tlsCert?: string;
  tlsKey?: string;
}

export function registerConsoleCommands(program: Command): void {
  const console = program
    .command('console')
    .description('The read-only web console (log, images, admissions)');
  console
    .command('serve')
    .description('Serve the web console at /ui/ for a log, a registry and an admission webhook')
    .requiredOption('--tlog-url <url>', 'the transparency log (sigil tlog serve)')
    .option(
      '--registry <host[:port]>',
      'the registry whose images the console shows (credentials: docker config)',
    )
    .option(
      '--admission-url <url>',
      'the admission webhook (https://), for its recent decisions and PolicyReports',
    )
    .option('--upstream-cacert <file>', 'PEM CA bundle trusted for an https:// log or webhook')
    .option(
      '--trusted-root <file>',
      "the deployment's trusted_root.json, to check signatures against an identity on the image page",
    )
    .option('--addr <host:port>', 'address to listen on', '127.0.0.1:9000')
    .option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM)')
    .option('--tls-key <file>', 'and this key (PEM)')
    .addHelpText(
      'after',
      `
The browser talks to the console only: it forwards read-only GETs to the log and the webhook and reads
images from --registry with this machine's credentials; nothing secret reaches the page. Inclusion proofs
and checkpoint signatures are verified in the browser. The image page's "would sigil verify accept it?"
form posts a key or identity that is checked here and not kept; identities need --trusted-root.

Example:
  sigil console serve --tlog-url http://rekor.sigstore.svc:3000 --registry registry.internal:5000 \\
    --admission-url https://sigil-admission.sigil.svc:443 --upstream-cacert webhook-ca.crt \\
    --trusted-root trusted_root.json`,
    )
    .action(
      action(async (opts: ConsoleServeOptions) => {
        const { host, port } = parseAddress(opts.addr);
        const tls =
          opts.tlsCert || opts.tlsKey
            ? {
                cert: readUserFile(opts.tlsCert ?? '', 'TLS certificate'),
                key: readUserFile(opts.tlsKey ?? '', 'TLS key'),
              }
            : undefined;
        const server = await startConsole({
          host,
          port,
          tlogUrl: parseHttpUrl(opts.tlogUrl, '--tlog-url'),
          ...(opts.registry ? { registry: { address: opts.registry, client: new RegistryClient({}) } } : {}),
          ...(opts.admissionUrl ? { admissionUrl: parseHttpUrl(opts.admissionUrl, '--admission-url') } : {}),
          ...(opts.upstreamCacert
            ? { upstreamCa: readUserFile(opts.upstreamCacert, 'upstream CA').toString('utf8') }
            : {}),
          ...(opts.trustedRoot
            ? {
                trustedRoot: parseTrustedRoot(
                  readUserFile(opts.trustedRoot, 'trusted root'),
                  opts.trustedRoot,
                ),
              }
            : {}),
          ...(tls ? { tls } : {}),
        });
        info(`web console on ${server.url}/ui/`);
        closeOnSignal(server.close);
      }),
    );
}
