#!/usr/bin/env node
// The sigstore-conformance suite's client-under-test entry point for sigil (its docs/cli_protocol.md):
//   verify-bundle [--staging] --bundle FILE (--certificate-identity I --certificate-oidc-issuer URL | --key K)
//                 [--trusted-root FILE] FILE_OR_DIGEST
// Each call becomes one `sigil verify-blob`, as a user would type it. Cases that bring no trusted root are
// verified against the public-good one kept in shared/fixtures (the suite's default instance); no network.
// Signing (sign-bundle) needs the suite's public test token and infrastructure, so it is refused here and
// the suite runs with --skip-signing.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const sigilBin = join(here, '..', '..', 'bin', 'sigil.js');
const publicGoodRoot = join(here, '..', '..', '..', 'shared', 'fixtures', 'cosign', 'trusted_root_pgi.json');

const [command, ...rest] = process.argv.slice(2);
if (command !== 'verify-bundle') {
  process.stderr.write(
    `conformance-client: ${command ?? '(none)'} is not supported (run the suite with --skip-signing)\n`,
  );
  process.exit(2);
}
if (rest.includes('--staging')) {
  process.stderr.write(
    'conformance-client: --staging needs the public staging instance, which is not reachable here\n',
  );
  process.exit(2);
}
const args = ['verify-blob', ...rest];
if (!rest.includes('--trusted-root')) args.splice(args.length - 1, 0, '--trusted-root', publicGoodRoot);
const result = spawnSync(process.execPath, [sigilBin, ...args], { stdio: 'inherit' });
process.exit(result.status ?? 1);
