#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { groupsFor, registerGroups } from './command-groups.js';
import { attachBooleanValues } from './options.js';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

const program = new Command('sigil')
  .description(
    'Sign, verify and admit container images: cosign-compatible, with a private Sigstore and registry',
  )
  .version(version, '--version')
  .showHelpAfterError('(run with --help for usage)')
  .addHelpText(
    'after',
    `
Examples:
  sigil generate-key-pair
  sigil sign --key cosign.key --tlog-upload=false 127.0.0.1:5000/app:v1
  sigil verify --key cosign.pub --insecure-ignore-tlog 127.0.0.1:5000/app:v1
  sigil registry serve --addr 127.0.0.1:5000`,
  );

program
  .command('version')
  .description('Print the version')
  .action(() => {
    process.stdout.write(`sigil ${version}\n`);
  });

await registerGroups(program, groupsFor(process.argv.slice(2)));
await program.parseAsync(attachBooleanValues(program, process.argv));
