import { createPublicKey, type KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { readUserFile, SigilError, writeFileAtomic } from '../../core/index.js';
import { encodeKeyPair, writeKeyPairFiles } from '../../cosign/index.js';
import {
  createKmsKey,
  generateKeyPair,
  importPrivateKeyPem,
  isKmsUri,
  type KeyAlgorithm,
  parseKmsUri,
  publicKeyPem,
} from '../../crypto/index.js';
import { isKeySecretRef, parseKeySecretRef, writeKeyPairSecret } from '../../kube/index.js';
import { keySecretClient, loadSigner, rejectUnsupported, SIGNING_KEY_HELP } from '../keys.js';
import { info, printResult } from '../output.js';
import { readPassword } from '../password.js';
import { action } from '../run.js';

const ALGORITHMS: Record<string, KeyAlgorithm> = {
  'ecdsa-sha2-256-nistp256': 'ecdsa-p256',
  'ecdsa-sha2-384-nistp384': 'ecdsa-p384',
  'ecdsa-sha2-512-nistp521': 'ecdsa-p521',
  ed25519: 'ed25519',
  'rsa-sign-pkcs1-2048-sha256': 'rsa-2048',
  'rsa-sign-pkcs1-3072-sha256': 'rsa-3072',
  'rsa-sign-pkcs1-4096-sha256': 'rsa-4096',
};

export function registerKeyCommands(program: Command): void {
  program
    .command('generate-key-pair')
    .description(
      'Generate a key pair for signing: <prefix>.key (encrypted with COSIGN_PASSWORD) and <prefix>.pub',
    )
    .argument(
      '[secret]',
      'k8s://<namespace>/<secret>: keep the key pair and its password in a Kubernetes Secret instead (cosign.key, cosign.pub, cosign.password) and write only <prefix>.pub',
    )
    .option('--output-key-prefix <prefix>', 'name of the key files, without extension', 'cosign')
    .option(
      '--signing-algorithm <alg>',
      `one of ${Object.keys(ALGORITHMS).join(', ')}`,
      'ecdsa-sha2-256-nistp256',
    )
    .option('-f, --force', 'overwrite existing key files')
    .option(
      '--kms <uri>',
      'create the key in a KMS instead (awskms:///alias/NAME, gcpkms://..., azurekms://HOST/KEY, hashivault://KEY) and write only <prefix>.pub',
    )
    .addHelpText(
      'after',
      `
Examples:
  sigil generate-key-pair                            # cosign.key + cosign.pub, password prompted
  COSIGN_PASSWORD=secret sigil generate-key-pair --output-key-prefix ci
  sigil generate-key-pair --signing-algorithm ed25519
  sigil generate-key-pair k8s://ci/cosign-keys       # Secret cosign-keys in namespace ci, + cosign.pub
  sigil generate-key-pair --kms awskms:///alias/ci   # an ECDSA P-256 key in AWS KMS, + cosign.pub`,
    )
    .action(
      action(
        async (
          secret: string | undefined,
          opts: { outputKeyPrefix: string; signingAlgorithm: string; force?: boolean; kms?: string },
        ) => {
          if (opts.kms !== undefined) {
            await generateInKms(opts.kms, opts.outputKeyPrefix, opts.force);
            return;
          }
          const algorithm = ALGORITHMS[opts.signingAlgorithm];
          if (!algorithm) {
            throw new SigilError(
              'BAD_INPUT',
              `--signing-algorithm: unknown algorithm "${opts.signingAlgorithm}"`,
            );
          }
          if (secret !== undefined) {
            await generateInSecret(secret, algorithm, opts.outputKeyPrefix, opts.force);
            return;
          }
          refuseExisting(keyFiles(opts.outputKeyPrefix), opts.force);
          const password = await readPassword({ confirm: true });
          await writeKeys(opts.outputKeyPrefix, generateKeyPair(algorithm).privateKey, password, opts.force);
        },
      ),
    );

  program
    .command('import-key-pair')
    .description('Import a PEM private key (PKCS#1, PKCS#8 or EC) into an encrypted cosign key pair')
    .requiredOption('-k, --key <file>', 'the PEM private key to import')
    .option('-o, --output-key-prefix <prefix>', 'name of the key files, without extension', 'import-cosign')
    .option('-f, --force', 'overwrite existing key files')
    .option('-y, --yes', 'overwrite existing key files without asking (the same as --force)')
    .addHelpText('after', '\nExample:\n  COSIGN_PASSWORD=secret sigil import-key-pair --key ec-private.pem')
    .action(
      action(async (opts: { key: string; outputKeyPrefix: string; force?: boolean; yes?: boolean }) => {
        const privateKey = importPrivateKeyPem(
          readUserFile(opts.key, 'private key').toString('utf8'),
          opts.key,
        );
        const overwrite = opts.force || opts.yes;
        refuseExisting(keyFiles(opts.outputKeyPrefix), overwrite);
        const password = await readPassword({ confirm: true });
        await writeKeys(opts.outputKeyPrefix, privateKey, password, overwrite);
      }),
    );

  program
    .command('public-key')
    .description('Print the public key of a private key file')
    .requiredOption(
      '--key <key>',
      `${SIGNING_KEY_HELP} (COSIGN_PASSWORD or a prompt gives a file key's password)`,
    )
    .option('--outfile <file>', 'write the PEM to this file instead of stdout')
    .addHelpText('after', '\nExample:\n  sigil public-key --key cosign.key > cosign.pub')
    .action(
      action(async (opts: { key: string; outfile?: string }) => {
        const pem = publicKeyPem((await loadSigner(opts.key)).publicKey);
        if (opts.outfile) {
          await writeFileAtomic(opts.outfile, pem);
          info(`Public key written to ${opts.outfile}`);
        } else {
          printResult(pem);
        }
      }),
    );
}

/** cosign's `generate-key-pair --kms URI`: the KMS creates (or already has) the key; `<prefix>.pub` is written. */
async function generateInKms(uri: string, prefix: string, force: boolean | undefined) {
  if (!isKmsUri(uri)) {
    rejectUnsupported(uri, '--kms');
    throw new SigilError(
      'BAD_INPUT',
      `--kms ${uri}: not a KMS URI (awskms://, gcpkms://, azurekms://, hashivault://)`,
    );
  }
  parseKmsUri(uri, '--kms'); // a malformed URI is named before anything else, as cosign does
  const publicPath = `${prefix}.pub`;
  refuseExisting([publicPath], force);
  const publicKey = await createKmsKey(uri);
  await writeFileAtomic(publicPath, publicKeyPem(publicKey));
  info(`Public key written to ${publicPath}`);
}

async function writeKeys(
  prefix: string,
  privateKey: KeyObject,
  password: string,
  force: boolean | undefined,
) {
  const files = await writeKeyPairFiles(prefix, privateKey, createPublicKey(privateKey), password, {
    overwrite: force === true,
  });
  info(`Private key written to ${files.privateKeyPath}`);
  info(`Public key written to ${files.publicKeyPath}`);
}

/**
 * cosign's `generate-key-pair k8s://ns/name`: the Secret gets the encrypted key, its password and the public
 * key; only the public key is written here. Everything that can fail early (the reference, the API, an
 * existing file) is checked before the password is asked for.
 */
async function generateInSecret(
  ref: string,
  algorithm: KeyAlgorithm,
  prefix: string,
  force: boolean | undefined,
): Promise<void> {
  if (!isKeySecretRef(ref)) {
    throw new SigilError(
      'BAD_INPUT',
      `generate-key-pair ${ref}: only k8s://<namespace>/<secret> is supported as where to keep the keys`,
      'without an argument, the keys are written to files (--output-key-prefix)',
    );
  }
  const { namespace, name } = parseKeySecretRef(ref);
  const client = keySecretClient(ref);
  const publicKeyPath = `${prefix}.pub`;
  refuseExisting([publicKeyPath], force);
  const password = await readPassword({ confirm: true });
  const { privateKey, publicKey } = generateKeyPair(algorithm);
  const pems = encodeKeyPair(privateKey, publicKey, password);
  await writeKeyPairSecret(client, ref, { ...pems, password });
  info(`Successfully created secret ${name} in namespace ${namespace}`);
  await writeFileAtomic(publicKeyPath, pems.publicKeyPem, { mode: 0o644 });
  info(`Public key written to ${publicKeyPath}`);
}

/** cosign asks before overwriting; without a terminal to ask on, we refuse and say how to proceed. */
function refuseExisting(paths: string[], force: boolean | undefined): void {
  if (force) return;
  for (const path of paths) {
    if (existsSync(path)) {
      throw new SigilError(
        'FILE_EXISTS',
        `${path} already exists`,
        'remove it, choose another --output-key-prefix, or pass --force',
      );
    }
  }
}

function keyFiles(prefix: string): string[] {
  return [`${prefix}.key`, `${prefix}.pub`];
}
