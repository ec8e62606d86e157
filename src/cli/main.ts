#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { groupsFor, registerGroups } from './command-groups.js';
import { addCosignRootOptions } from './cosign-root-options.js';
import { attachBooleanValues, parseBool } from './options.js';
import { addTufTrustHook } from './tuf-trust.js';

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
  .option(
    '--json [bool]',
    "print JSON (cosign's gitVersion and platform fields) instead of text",
    parseBool,
    false,
  )
  .action((opts: { json: boolean }) => {
    if (!opts.json) return void process.stdout.write(`sigil ${version}\n`);
    const arch = process.arch === 'x64' ? 'amd64' : process.arch;
    const fields = {
      gitVersion: `v${version}`,
      nodeVersion: process.version,
      platform: `${process.platform}/${arch}`,
    };
    process.stdout.write(`${JSON.stringify(fields, null, 2)}\n`);
  });

await registerGroups(program, groupsFor(process.argv.slice(2)));
addCosignRootOptions(program);
addTufTrustHook(program);

await program.parseAsync(attachBooleanValues(program, process.argv));
