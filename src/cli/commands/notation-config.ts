/**
 * `sigil notation key ...` and `sigil notation cert ...`: notation's signing key list (signingkeys.json)
 * and trust store (truststore/x509/<type>/<name>/), in notation's configuration directory.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Command } from 'commander';
import { SigilError } from '../../core/index.js';
import {
  addSigningKey,
  generateTestCertificate,
  isTrustStoreType,
  notationConfigDir,
  readCertificateFile,
  readSigningKeys,
  TRUST_STORE_TYPES,
  type TrustStoreType,
  trustStoreDir,
  writeSigningKeys,
} from '../../notation/index.js';
import { info, printResult } from '../output.js';
import { action } from '../run.js';

function storeType(value: string): TrustStoreType {
  if (!isTrustStoreType(value))
    throw new SigilError('BAD_INPUT', `--type ${value}: one of ${TRUST_STORE_TYPES.join(', ')}`);
  return value;
}

export function registerNotationConfigCommands(notation: Command): void {
  const key = notation.command('key').description('Manage signing keys (signingkeys.json)');
  key
    .command('add')
    .description(
      'Add a signing key: a key file or pkcs11: URI with its certificate chain (plugins are not supported)',
    )
    .argument('<name>', 'key name')
    .option('--key-file <path>', 'private key file (PEM, unencrypted) or pkcs11: URI of a token key')
    .option('--cert-file <path>', 'certificate chain file (PEM, leaf first)')
    .option('--plugin <name>', 'notation plugin keys are not supported by sigil')
    .option('--id <id>', 'key id of a plugin key (not supported)')
    .option('--default', 'make it the default signing key')
    .action(
      action(
        async (
          name: string,
          flags: { keyFile?: string; certFile?: string; plugin?: string; default?: boolean },
        ) => {
          if (flags.plugin)
            throw new SigilError(
              'UNSUPPORTED',
              `--plugin ${flags.plugin}: notation plugins are not supported by sigil`,
              'add a key file or a pkcs11: key with --key-file and --cert-file',
            );
          if (!flags.keyFile || !flags.certFile)
            throw new SigilError('BAD_INPUT', 'give --key-file and --cert-file');
          readCertificateFile(flags.certFile);
          await addSigningKey(
            notationConfigDir(),
            { name, keyPath: flags.keyFile, certPath: flags.certFile },
            Boolean(flags.default),
          );
          printResult(`${name}`);
        },
      ),
    );
  key
    .command('ls')
    .alias('list')
    .description('List the signing keys')
    .action(
      action(async () => {
        const keys = readSigningKeys(notationConfigDir());
        const rows = [['NAME', 'KEY PATH', 'CERTIFICATE PATH', 'ID', 'PLUGIN NAME']];
        for (const k of keys.keys) {
          rows.push([
            `${k.name === keys.default ? '* ' : ''}${k.name}`,
            k.keyPath ?? '',
            k.certPath ?? '',
            k.id ?? '',
            k.pluginName ?? '',
          ]);
        }
        printResult(rows.map((r) => r.join('\t')).join('\n'));
      }),
    );
  key
    .command('set')
    .description('Make a signing key the default')
    .argument('<name>')
    .option('--default', 'accepted for notation compatibility')
    .action(
      action(async (name: string) => {
        const dir = notationConfigDir();
        const keys = readSigningKeys(dir);
        if (!keys.keys.some((k) => k.name === name))
          throw new SigilError('NOT_FOUND', `signing key ${JSON.stringify(name)} does not exist`);
        await writeSigningKeys(dir, { ...keys, default: name });
        printResult(`${name}: marked as default`);
      }),
    );
  key
    .command('delete')
    .alias('rm')
    .description('Remove signing keys from the list (the key files stay)')
    .argument('<names...>')
    .action(
      action(async (names: string[]) => {
        const dir = notationConfigDir();
        const keys = readSigningKeys(dir);
        const missing = names.filter((n) => !keys.keys.some((k) => k.name === n));
        if (missing.length > 0)
          throw new SigilError('NOT_FOUND', `signing key ${JSON.stringify(missing[0])} does not exist`);
        await writeSigningKeys(dir, {
          ...(keys.default && !names.includes(keys.default) ? { default: keys.default } : {}),
          keys: keys.keys.filter((k) => !names.includes(k.name)),
        });
        for (const n of names) printResult(`Removed ${n} from signing key list`);
      }),
    );

  const cert = notation
    .command('cert')
    .alias('certificate')
    .description('Manage the trust store (truststore/x509)');
  cert
    .command('add')
    .description('Add certificates to a named trust store')
    .argument('<files...>', 'certificate files (PEM or DER)')
    .requiredOption('-t, --type <type>', 'ca, signingAuthority or tsa', storeType)
    .requiredOption('-s, --store <name>', 'trust store name')
    .action(
      action(async (files: string[], flags: { type: TrustStoreType; store: string }) => {
        const dir = trustStoreDir(notationConfigDir(), flags.type, flags.store);
        for (const file of files) {
          const certs = readCertificateFile(file);
          if (flags.type === 'tsa' && certs.some((c) => !c.rawSubject.equals(c.rawIssuer))) {
            throw new SigilError('BAD_CERTIFICATE', `${file}: a tsa store holds root CA certificates only`);
          }
        }
        mkdirSync(dir, { recursive: true });
        for (const file of files) {
          const target = join(dir, basename(file));
          if (existsSync(target)) throw new SigilError('FILE_EXISTS', `${target} already exists`);
          copyFileSync(file, target);
          printResult(
            `Successfully added ${basename(file)} to named store ${flags.store} of type ${flags.type}`,
          );
        }
      }),
    );
  cert
    .command('ls')
    .alias('list')
    .description('List the trust store certificate files')
    .option('-t, --type <type>', 'only this store type', storeType)
    .option('-s, --store <name>', 'only this store')
    .action(
      action(async (flags: { type?: TrustStoreType; store?: string }) => {
        const root = join(notationConfigDir(), 'truststore', 'x509');
        const lines = ['STORE TYPE\tSTORE NAME\tCERTIFICATE'];
        for (const type of flags.type ? [flags.type] : TRUST_STORE_TYPES) {
          const typeDir = join(root, type);
          if (!existsSync(typeDir)) continue;
          for (const store of readdirSync(typeDir).sort()) {
            if (flags.store && store !== flags.store) continue;
            for (const file of readdirSync(join(typeDir, store)).sort())
              lines.push(`${type}\t${store}\t${file}`);
          }
        }
        printResult(lines.join('\n'));
      }),
    );
  cert
    .command('show')
    .description('Show a certificate file of a trust store')
    .argument('<file>', 'certificate file name in the store')
    .requiredOption('-t, --type <type>', 'ca, signingAuthority or tsa', storeType)
    .requiredOption('-s, --store <name>', 'trust store name')
    .action(
      action(async (file: string, flags: { type: TrustStoreType; store: string }) => {
        const certs = readCertificateFile(
          join(trustStoreDir(notationConfigDir(), flags.type, flags.store), basename(file)),
        );
        const blocks = certs.map((c) =>
          [
            `Issuer: ${c.issuer}`,
            `Subject: ${c.subject}`,
            `Valid from: ${c.notBefore.toISOString()}`,
            `Valid to: ${c.notAfter.toISOString()}`,
            `IsCA: ${Boolean(c.basicConstraints?.ca)}`,
            `SHA256 Thumbprint: ${c.sha256}`,
          ].join('\n'),
        );
        printResult(blocks.join('\n\n'));
      }),
    );
  cert
    .command('delete')
    .description('Delete a certificate file (or, with --all, every one) from a trust store')
    .argument('[file]', 'certificate file name')
    .requiredOption('-t, --type <type>', 'ca, signingAuthority or tsa', storeType)
    .requiredOption('-s, --store <name>', 'trust store name')
    .option('-a, --all', 'delete the whole store')
    .option('-y, --yes', 'do not ask (sigil never asks)')
    .action(
      action(
        async (file: string | undefined, flags: { type: TrustStoreType; store: string; all?: boolean }) => {
          const dir = trustStoreDir(notationConfigDir(), flags.type, flags.store);
          if (flags.all) {
            if (!existsSync(dir))
              throw new SigilError('NOT_FOUND', `trust store ${flags.type}:${flags.store} does not exist`);
            rmSync(dir, { recursive: true });
            printResult(`Successfully deleted ${flags.type}:${flags.store}`);
            return;
          }
          if (!file) throw new SigilError('BAD_INPUT', 'name a certificate file or give --all');
          const path = join(dir, basename(file));
          if (!existsSync(path)) throw new SigilError('NOT_FOUND', `${path} does not exist`);
          rmSync(path);
          printResult(`Successfully deleted ${basename(file)} from trust store ${flags.type}:${flags.store}`);
        },
      ),
    );
  cert
    .command('generate-test')
    .description('Generate a test RSA key and self-signed code-signing certificate, trusted in store ca:NAME')
    .argument('<name>', 'key and trust store name')
    .option('-b, --bits <n>', 'RSA key bits: 2048, 3072 or 4096', (v) => Number.parseInt(v, 10), 2048)
    .option('--default', 'make it the default signing key')
    .action(
      action(async (name: string, flags: { bits: number; default?: boolean }) => {
        info(`generating RSA Key with ${flags.bits} bits`);
        const made = await generateTestCertificate(notationConfigDir(), name, {
          bits: flags.bits,
          makeDefault: Boolean(flags.default),
        });
        info(`generated certificate expiring on ${made.notAfter.toISOString()}`);
        info(`wrote key: ${made.keyPath}`);
        info(`wrote certificate: ${made.certPath}`);
        printResult(`Successfully added ${name}.crt to named store ${name} of type ca`);
        printResult(`${name}: added to the key list`);
        if (flags.default) printResult(`${name}: marked as default signing key`);
      }),
    );
}
