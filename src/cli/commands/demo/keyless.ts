import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { parseReference, pushTestImage, RegistryClient } from '../../../oci/index.js';
import { info } from '../../output.js';
import { firstLine, sigil, sigilOutput, spawnSigil, step } from './steps.js';

/**
 * Keyless, as a CI job does it: the private Sigstore (`sigil serve`) runs in the background, a token shaped
 * like a GitHub Actions one buys a 10-minute certificate, and verification names the identity it expects.
 */
export interface RunningStackDemo {
  image: string;
  issuer: string;
  trustedRoot: string;
  stop(): void;
}

export async function keylessDemo(dir: string, env: NodeJS.ProcessEnv): Promise<RunningStackDemo> {
  step(10, 'Start the private Sigstore in the background: sigil serve (CA, log, dev OIDC issuer, registry)');
  const dataDir = join(dir, 'stack');
  const serve = spawnSigil(
    [
      'serve',
      '--data-dir',
      dataDir,
      ...['registry', 'tlog', 'ca', 'oidc', 'tsa', 'tuf'].flatMap((s) => [`--${s}-port`, '0']),
      '--output',
      'json',
    ],
    env,
  );
  try {
    const urls = JSON.parse(await firstLine(serve)) as {
      registry: string;
      oidc: string;
      issuers: Record<string, string>;
      trustedRoot: string;
      signingConfig: string;
    };
    info(`$ sigil serve --data-dir ${dataDir}\n    ${JSON.stringify(urls)}`);
    const registry = new URL(urls.registry).host;
    const reference = parseReference(`${registry}/demo-org/hello:v1`);
    const digest = await pushTestImage(new RegistryClient({}), reference, {
      files: { 'hello.txt': 'keyless hello\n' },
    });
    const image = `${registry}/demo-org/hello@${digest}`;
    info(`    pushed ${image}`);

    step(
      11,
      'Get an OIDC token shaped like a GitHub Actions one (repository demo-org/hello) from the dev issuer',
    );
    const token = (
      await sigilOutput(
        [
          'oidc',
          'token',
          '--issuer-url',
          urls.oidc,
          '--kind',
          'github-actions',
          '--repository',
          'demo-org/hello',
        ],
        env,
      )
    ).trim();
    info(`    token for ${JSON.stringify(decodeJwt(token).sub)}, valid 10 minutes`);

    step(
      12,
      'Sign keyless (token in SIGSTORE_ID_TOKEN): ephemeral key -> CA certificate with SCT -> log -> registry',
    );
    await sigil(
      ['sign', '--yes', '--signing-config', urls.signingConfig, image],
      { ...env, SIGSTORE_ID_TOKEN: token },
      0,
    );

    const issuer = urls.issuers['github-actions'] ?? '';
    step(13, 'Verify keyless: trusted CA chain, SCT, log promise, and the identity the policy names');
    const verify = ['verify', '--trusted-root', urls.trustedRoot, '--certificate-oidc-issuer', issuer];
    await sigil([...verify, '--certificate-identity-regexp', '^https://github.com/demo-org/', image], env, 0);

    step(14, 'Verify with the identity of another organisation: verification must fail');
    await sigil(
      [...verify, '--certificate-identity-regexp', '^https://github.com/demo-org-evil/', image],
      env,
      1,
    );
    return { image, issuer, trustedRoot: urls.trustedRoot, stop: () => serve.kill('SIGTERM') };
  } catch (err) {
    serve.kill('SIGTERM');
    throw err;
  }
}
