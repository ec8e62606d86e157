/**
 * cosign's root flags on the commands sigil shares with it: --output-file takes stdout, -d/--verbose logs
 * registry requests, -t/--timeout stops a command that hangs (a registry that accepts and never answers);
 * and `version --json`.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Command } from 'commander';
import { COMMAND_GROUPS, registerGroups } from '../../src/cli/command-groups.js';
import { COSIGN_COMMANDS, parseGoDuration } from '../../src/cli/cosign-root-options.js';
import {
  parseReference,
  pushTestImage,
  RegistryClient,
  type RunningRegistry,
  startRegistry,
} from '../../src/oci/index.js';
import { errorLine, sigil, workDir } from '../helpers/cli.js';

describe('parseGoDuration', () => {
  it('reads Go durations into milliseconds and refuses zero, units it does not know and junk', () => {
    assert.equal(parseGoDuration('3m0s'), 180_000);
    assert.equal(parseGoDuration('1h30m'), 5_400_000);
    assert.equal(parseGoDuration('1.5s'), 1500);
    assert.equal(parseGoDuration('250ms'), 250);
    for (const bad of ['0s', '', '3', '3d', 'm', '1m x', '-1s']) {
      assert.throws(() => parseGoDuration(bad), /positive duration/, bad);
    }
  });
});

describe('COSIGN_COMMANDS', () => {
  it('names only commands sigil has (with every command group registered)', async () => {
    const program = new Command('sigil');
    await registerGroups(program, COMMAND_GROUPS);
    program.command('version');
    for (const path of COSIGN_COMMANDS) {
      const found = path
        .split(' ')
        .reduce<Command | undefined>(
          (parent, name) => parent?.commands.find((c) => c.name() === name),
          program,
        );
      assert.ok(found, `no command "${path}"`);
    }
  });
});

describe("cosign's root flags", () => {
  let registry: RunningRegistry;
  let silent: Server;
  const sockets: Socket[] = [];
  let dir: string;
  let tagged: string;
  let digested: string;
  before(async () => {
    dir = await workDir();
    registry = await startRegistry({ host: '127.0.0.1', port: 0, dataDir: join(dir, 'registry') });
    tagged = `${registry.address}/app:v1`;
    const digest = await pushTestImage(new RegistryClient({}), parseReference(tagged), {
      files: { a: 'root' },
    });
    digested = `${registry.address}/app@${digest}`;
    silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  });
  after(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
    await registry?.close();
  });

  it('--output-file receives what the command prints on stdout', async () => {
    const file = join(dir, 'out.txt');
    const result = await sigil(['triangulate', '--type', 'digest', '--output-file', file, tagged], {
      cwd: dir,
    });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, '');
    assert.equal(await readFile(file, 'utf8'), `${digested}\n`);
  });

  it('-d logs each registry request and its status on stderr, before the image argument too', async () => {
    const result = await sigil(['triangulate', '--type', 'digest', '-d', tagged], { cwd: dir });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, `${digested}\n`);
    assert.match(result.stderr, /--> HEAD http:\/\/127\.0\.0\.1:\d+\/v2\/app\/manifests\/v1/);
    assert.match(result.stderr, /<-- 200 HEAD /);
  });

  it('-t stops a command that has not finished in time, with one error line', async () => {
    const port = (silent.address() as { port: number }).port;
    const result = await sigil(['tree', '-t', '1s', `127.0.0.1:${port}/app:v1`], { cwd: dir });
    assert.equal(result.code, 1);
    assert.match(errorLine(result), /tree did not finish within 1s \(--timeout\)/);
  });

  it('version --json prints gitVersion and platform, as cosign names them', async () => {
    const result = await sigil(['version', '--json'], { cwd: dir });
    const fields = JSON.parse(result.stdout) as Record<string, string>;
    assert.match(fields.gitVersion ?? '', /^v\d+\.\d+\.\d+/);
    assert.match(fields.platform ?? '', /^[a-z0-9]+\/[a-z0-9]+$/);
  });
});
