/**
 * `sigil demo` (npm run demo): the main job end to end on the embedded defaults, as a user would type it.
 * Each step prints the command it runs; the sigil commands run as child processes of this very binary.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
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
import { admissionDemo } from './demo/admission.js';
import { attestationDemo } from './demo/attestations.js';
import { keylessDemo } from './demo/keyless.js';
import { notationDemo } from './demo/notation.js';
import { sigil, step } from './demo/steps.js';

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

    const stack = await keylessDemo(dir, env);
    try {
      const attested = await attestationDemo(dir, env, {
        registry: registry.address,
        key,
        tlogUrl: tlog.url,
      });
      await admissionDemo(dir, env, { key, attested, keyless: stack });
      await notationDemo(dir, env, registry.address);
    } finally {
      stack.stop();
    }

    info(
      '\nDemo complete: signed (with a key, keyless and with Notation), attested, logged, verified, admitted or denied by policy, and every tampering was caught.',
    );
  } finally {
    await tlog.close();
    await registry.close();
    if (opts.keep) info(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
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
