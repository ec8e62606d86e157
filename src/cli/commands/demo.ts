/**
 * `sigil demo` (npm run demo): the main job end to end on the embedded defaults, as a user would type it.
 * Each step prints the command it runs; the sigil commands run as child processes of this very binary.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { decodeJwt } from 'jose';
import { type Digest, SigilError } from '../../core/index.js';
import {
  artifactTag,
  buildSignatureImage,
  OCI_MANIFEST_MEDIA_TYPE,
  SIMPLE_SIGNING_MEDIA_TYPE,
  signatureLayers,
} from '../../formats/index.js';
import { parseReference, pushTestImage, RegistryClient, startRegistry } from '../../oci/index.js';
import { startTlog } from '../../tlog/index.js';
import { info } from '../output.js';
import { action } from '../run.js';

const SIGIL = process.argv[1] as string;

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('Run the main job end to end on a throw-away embedded registry and key pair')
    .option('--keep', 'keep the temporary directory (keys, registry data) and print its path')
    .addHelpText('after', '\nExample:\n  npm run demo     # the same as: sigil demo')
    .action(action(runDemo));
}

async function runDemo(opts: { keep?: boolean }): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sigil-demo-'));
  const registry = await startRegistry({ host: '127.0.0.1', port: 0, dataDir: join(dir, 'registry') });
  const tlog = await startTlog({ host: '127.0.0.1', port: 0, dataDir: join(dir, 'tlog'), intervalMs: 5 });
  try {
    const image = `${registry.address}/demo/hello:v1`;
    const client = new RegistryClient({});
    step(
      1,
      `Start the embedded OCI registry (${registry.url}) and transparency log (${tlog.url}, log ID ${tlog.log.logId})`,
    );
    step(2, `Build a tiny OCI image without Docker and push it as ${image}`);
    const digest = await pushTestImage(client, parseReference(image), {
      files: { 'hello.txt': 'hello from sigil\n' },
    });
    info(`    pushed ${digest}`);

    // The log's public key is trusted explicitly, as cosign users do for a private Rekor.
    const env = {
      ...process.env,
      COSIGN_PASSWORD: 'demo-password',
      SIGSTORE_REKOR_PUBLIC_KEY: join(dir, 'tlog', 'log-key.pem.pub'),
    };
    const key = join(dir, 'cosign');
    step(3, 'Generate a key pair (cosign format, encrypted with COSIGN_PASSWORD)');
    await sigil(['generate-key-pair', '--output-key-prefix', key], env, 0);

    step(4, 'Sign the image: the digest the tag points to is signed, recorded in the log, pushed next to it');
    await sigil(['sign', '--key', `${key}.key`, '--rekor-url', tlog.url, '-a', 'env=demo', image], env, 0);

    step(
      5,
      "Verify: signature, claims, log promise (SET), entry body and inclusion proof; cosign's JSON, exit 0",
    );
    await sigil(['verify', '--key', `${key}.pub`, '--rekor-url', tlog.url, '-a', 'env=demo', image], env, 0);

    step(6, 'Tamper with the signed payload in the registry: verification must fail');
    await tamperPayload(client, image, digest);
    await sigil(['verify', '--key', `${key}.pub`, '--rekor-url', tlog.url, image], env, 1);

    step(7, 'Push a different, unsigned image under the same tag: verification must fail');
    await pushTestImage(client, parseReference(image), { files: { 'hello.txt': 'not what was signed\n' } });
    await sigil(['verify', '--key', `${key}.pub`, '--rekor-url', tlog.url, image], env, 1);

    step(8, 'Verify the original digest with a key that did not sign it: verification must fail');
    await sigil(['generate-key-pair', '--output-key-prefix', join(dir, 'other')], env, 0);
    await sigil(
      [
        'verify',
        '--key',
        join(dir, 'other.pub'),
        '--rekor-url',
        tlog.url,
        `${registry.address}/demo/hello@${digest}`,
      ],
      env,
      1,
    );

    step(9, 'Monitor the log: its signed tree head verifies and extends the last one seen');
    await sigil(
      ['tlog', 'verify', '--rekor-url', tlog.url, '--state-file', join(dir, 'monitor.json')],
      env,
      0,
    );

    await keylessDemo(dir, env);

    info(
      '\nDemo complete: signed (with a key and keyless), logged, verified, and every tampering was caught.',
    );
  } finally {
    await tlog.close();
    await registry.close();
    if (opts.keep) info(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Keyless, as a CI job does it: the private Sigstore (`sigil serve`) runs in the background, a token shaped
 * like a GitHub Actions one buys a 10-minute certificate, and verification names the identity it expects.
 */
async function keylessDemo(dir: string, env: NodeJS.ProcessEnv): Promise<void> {
  step(10, 'Start the private Sigstore in the background: sigil serve (CA, log, dev OIDC issuer, registry)');
  const dataDir = join(dir, 'stack');
  const serve = spawn(
    process.execPath,
    [
      SIGIL,
      'serve',
      '--data-dir',
      dataDir,
      ...['registry', 'tlog', 'ca', 'oidc', 'tsa'].flatMap((s) => [`--${s}-port`, '0']),
      '--output',
      'json',
    ],
    { env, stdio: ['ignore', 'pipe', 'inherit'] },
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
  } finally {
    serve.kill('SIGTERM');
  }
}

function step(n: number, title: string): void {
  info(`\n== ${n}. ${title}`);
}

/**
 * Runs this sigil binary as the user would, echoing the command, and checks the exit code the step expects.
 * Asynchronous because the registry is served from this process: a blocking spawn would starve it.
 */
async function sigil(args: string[], env: NodeJS.ProcessEnv, expectedStatus: number): Promise<void> {
  info(`$ sigil ${args.join(' ')}`);
  const child = spawn(process.execPath, [SIGIL, ...args], { env, stdio: ['ignore', 'inherit', 'inherit'] });
  const status = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  info(`  (exit code ${status})`);
  if (status !== expectedStatus) {
    throw new SigilError(
      'BAD_INPUT',
      `demo step failed: "sigil ${args[0]}" exited ${status}, expected ${expectedStatus}`,
    );
  }
}

/** Runs sigil and returns what it printed on stdout (stderr passes through). */
async function sigilOutput(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  info(`$ sigil ${args.join(' ')}`);
  const child = spawn(process.execPath, [SIGIL, ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk) => {
    out += chunk;
  });
  const status = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (status !== 0)
    throw new SigilError('BAD_INPUT', `demo step failed: "sigil ${args[0]}" exited ${status}`);
  return out;
}

/** The first line a background child prints on stdout (`sigil serve --output json` prints its URLs). */
function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    child.stdout?.on('data', (chunk) => {
      buffered += chunk;
      const end = buffered.indexOf('\n');
      if (end >= 0) resolve(buffered.slice(0, end));
    });
    child.once('exit', (code) => reject(new SigilError('BAD_INPUT', `demo: sigil serve exited ${code}`)));
  });
}

/** Replaces the signed payload with an edited copy, keeping the original signature annotation. */
async function tamperPayload(client: RegistryClient, image: string, digest: Digest): Promise<void> {
  const ref = parseReference(image);
  const tag = artifactTag(digest, 'sig');
  const { manifest } = await client.getManifest(ref, tag);
  const [layer] = signatureLayers(manifest, SIMPLE_SIGNING_MEDIA_TYPE, tag);
  if (!layer) throw new SigilError('BAD_MANIFEST', 'demo: the signature manifest has no layer');
  const payload = (await client.getBlob(ref, layer.digest))
    .toString()
    .replace('"optional":{', '"optional":{"tampered":"yes",');
  const pushed = await client.pushBlob(ref, Buffer.from(payload));
  const forged = buildSignatureImage([{ ...layer, digest: pushed.digest, size: pushed.size }]);
  await client.pushBlob(ref, forged.config);
  await client.putManifest(ref, tag, forged.manifest, OCI_MANIFEST_MEDIA_TYPE);
  info(`    rewrote ${tag}: payload now ${pushed.digest}, signature unchanged`);
}
