/** `sigil pkcs11-tool` (cosign's): the tokens of a PKCS#11 module and the `pkcs11:` URIs of their keys. */
import type { Command } from 'commander';
import { SigilError } from '../../core/index.js';
import { listKeyUris, listTokens } from '../../crypto/index.js';
import { parseNonNegativeInt, parseOutput } from '../options.js';
import { type OutputFormat, printResult } from '../output.js';
import { action } from '../run.js';

interface ModuleOptions {
  modulePath?: string;
  output: OutputFormat;
}

function addModuleOptions(command: Command): Command {
  return command
    .option('--module-path <path>', 'the PKCS#11 module (default: $COSIGN_PKCS11_MODULE_PATH)')
    .option('--output <format>', 'text or json', parseOutput, 'text');
}

function modulePathOf(opts: ModuleOptions): string {
  const path = opts.modulePath ?? process.env.COSIGN_PKCS11_MODULE_PATH;
  if (!path) throw new SigilError('BAD_INPUT', 'give --module-path or set COSIGN_PKCS11_MODULE_PATH');
  return path;
}

export function registerPkcs11ToolCommands(program: Command): void {
  const tool = program.command('pkcs11-tool').description('Inspect PKCS#11 tokens and the keys on them');

  addModuleOptions(tool.command('list-tokens'))
    .description('List the tokens in the slots of a PKCS#11 module')
    .addHelpText(
      'after',
      '\nExamples:\n  sigil pkcs11-tool list-tokens --module-path /usr/lib/softhsm/libsofthsm2.so\n  COSIGN_PKCS11_MODULE_PATH=/usr/lib/softhsm/libsofthsm2.so sigil pkcs11-tool list-tokens --output json',
    )
    .action(
      action(async (opts: ModuleOptions) => {
        const modulePath = modulePathOf(opts);
        const tokens = listTokens(modulePath);
        if (opts.output === 'json') return printResult(JSON.stringify(tokens));
        const lines = [`Listing tokens of PKCS11 module '${modulePath}'`];
        for (const token of tokens) {
          lines.push(
            `Token in slot ${token.slot}`,
            `\tLabel: ${token.label}`,
            `\tManufacturer: ${token.manufacturer}`,
            `\tModel: ${token.model}`,
            `\tS/N: ${token.serialNumber}`,
            '',
          );
        }
        printResult(lines.join('\n'));
      }),
    );

  addModuleOptions(tool.command('list-keys-uris'))
    .description('List the private keys on a token with the pkcs11: URI that --key takes for each')
    .requiredOption('--slot-id <n>', 'the slot of the token (see list-tokens)', parseNonNegativeInt)
    .option('--pin <pin>', 'the user PIN (default: $COSIGN_PKCS11_PIN); keys are only listed after login')
    .addHelpText(
      'after',
      `
The URIs carry the PIN (pin-value) as cosign prints them: treat the output as a secret.

Examples:
  sigil pkcs11-tool list-keys-uris --module-path /usr/lib/softhsm/libsofthsm2.so --slot-id 1 --pin 1234
  sigil sign --key "$(sigil pkcs11-tool list-keys-uris --slot-id 1 --pin 1234 --output json | jq -r '.[0].uri')" IMAGE`,
    )
    .action(
      action(async (opts: ModuleOptions & { slotId: number; pin?: string }) => {
        const modulePath = modulePathOf(opts);
        const pin = opts.pin ?? process.env.COSIGN_PKCS11_PIN;
        if (pin === undefined) {
          throw new SigilError(
            'BAD_INPUT',
            'give --pin or set COSIGN_PKCS11_PIN: private keys are only visible after login',
          );
        }
        const keys = listKeyUris(modulePath, opts.slotId, pin);
        if (opts.output === 'json') return printResult(JSON.stringify(keys));
        const lines = [`Listing URIs of keys in slot '${opts.slotId}' of PKCS11 module '${modulePath}'`];
        keys.forEach((key, i) => {
          lines.push(`Object ${i}`);
          if (key.label !== undefined) lines.push(`\tLabel: ${key.label}`);
          if (key.id !== undefined) lines.push(`\tID: ${key.id}`);
          lines.push(`\tURI: ${key.uri}`);
        });
        printResult(lines.join('\n'));
      }),
    );
}
