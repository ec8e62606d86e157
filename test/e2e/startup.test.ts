/**
 * A `sigil` process loads only what its command needs: client commands must not pay for the servers,
 * databases and policy engine the other commands use (the benchmark times it; this keeps it from
 * regressing silently). And the map main.ts dispatches by must name every command each module registers.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { Command } from 'commander';
import { COMMAND_GROUPS, groupsFor } from '../../src/cli/command-groups.js';
import { packagesOf, traceModules } from '../helpers/module-trace.js';

const SERVER_SIDE = [
  'fastify',
  'pg',
  'ioredis',
  'better-sqlite3',
  'prom-client',
  'pkcs11js',
  'zod',
  'yaml',
  '@jmespath-community/jmespath',
  '@peculiar/x509',
  '@peculiar/asn1-x509',
  '@marcbachmann/cel-js',
];

test('verify-blob --help loads no server, database, token driver or policy-engine package', async () => {
  const trace = await traceModules(['verify-blob', '--help']);
  assert.equal(trace.code, 0);
  const loaded = packagesOf(trace.modules);
  assert.ok(loaded.includes('commander'), `the trace saw the CLI's own packages: ${loaded.join(', ')}`);
  assert.deepEqual(
    SERVER_SIDE.filter((name) => loaded.includes(name)),
    [],
  );
});

test('policy apply loads CEL only for a CEL policy (ImageValidatingPolicy)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sigil-cel-lazy-'));
  try {
    await writeFile(
      join(dir, 'pod.yaml'),
      'apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: default}\nspec: {containers: [{name: c, image: "example.com/a:v1"}]}\n',
    );
    const seed = resolve('test/fixtures/policies/seeds/seed003-verify-image-signature.yaml');
    const cpol = await traceModules(['policy', 'apply', '--policy', seed, '--resource', 'pod.yaml'], dir);
    assert.equal(cpol.code, 0);
    assert.ok(
      !packagesOf(cpol.modules).includes('@marcbachmann/cel-js'),
      'a ClusterPolicy does not load CEL',
    );
    await writeFile(
      join(dir, 'ivpol.yaml'),
      [
        'apiVersion: policies.kyverno.io/v1',
        'kind: ImageValidatingPolicy',
        'metadata: {name: p}',
        'spec:',
        '  matchConstraints: {resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}]}',
        '  matchImageReferences: [{glob: "ghcr.io/*"}]',
        '  validations: [{expression: "true"}]',
      ].join('\n'),
    );
    const ivpol = await traceModules(
      ['policy', 'apply', '--policy', 'ivpol.yaml', '--resource', 'pod.yaml'],
      dir,
    );
    assert.equal(ivpol.code, 0);
    assert.ok(
      packagesOf(ivpol.modules).includes('@marcbachmann/cel-js'),
      'the trace sees CEL when it is used',
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('--version loads no command module', async () => {
  const trace = await traceModules(['--version']);
  assert.equal(trace.code, 0);
  assert.deepEqual(
    trace.modules.filter((url) => url.includes('/cli/commands/')),
    [],
  );
});

test('each command module registers exactly the commands the dispatch map names for it', async () => {
  for (const group of COMMAND_GROUPS) {
    const program = new Command('sigil');
    (await group.load())(program);
    assert.deepEqual(
      program.commands.map((command) => command.name()),
      group.commands,
    );
  }
});

test('dispatch: the invoked command group; none for the version; all for help and unknown commands', () => {
  assert.deepEqual(
    groupsFor(['verify-blob', '--key', 'k']).flatMap((group) => group.commands),
    ['sign-blob', 'verify-blob'],
  );
  assert.deepEqual(groupsFor(['--version']), []);
  assert.deepEqual(groupsFor(['version']), []);
  for (const args of [[], ['--help'], ['help', 'verify'], ['verify-blb']]) {
    assert.equal(groupsFor(args), COMMAND_GROUPS);
  }
});
