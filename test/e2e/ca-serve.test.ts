/**
 * `sigil ca init` + `sigil ca serve` as an operator runs them: the CA runs its own CT log at /ct/v1/ by
 * default, so the certificates it issues are logged; `--ct-log-url` without a reachable log is an error at
 * issuance, never a certificate without its SCT.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type RunningDevIssuer, startDevIssuer } from '../../src/oidc/index.js';
import { startSigilServer } from '../helpers/admission-serve.js';
import { sigil, workDir } from '../helpers/cli.js';
import { freePort } from '../helpers/ports.js';
import { requestSigningCertificate } from '../helpers/signing-cert.js';

describe('sigil ca serve', () => {
  let dir: string;
  let oidc: RunningDevIssuer;
  const servers: ChildProcess[] = [];
  const serve = async (...flags: string[]) => {
    const port = await freePort();
    const args = ['ca', 'serve', '--addr', `127.0.0.1:${port}`, '--config', 'fulcio.json', ...flags];
    servers.push(await startSigilServer(args, dir, 'certificate authority listening on'));
    return `http://127.0.0.1:${port}`;
  };
  const requestCertificate = async (url: string) => {
    const token = await oidc.mint({ kind: 'email', email: 'ops@example.com' });
    return requestSigningCertificate(url, token, 'ops@example.com');
  };

  before(async () => {
    dir = await workDir();
    oidc = await startDevIssuer('127.0.0.1', 0);
    const config = { OIDCIssuers: { [oidc.issuers.email]: { ClientID: 'sigstore', Type: 'email' } } };
    await writeFile(join(dir, 'fulcio.json'), JSON.stringify(config));
    const init = await sigil(['ca', 'init'], { cwd: dir });
    assert.equal(init.code, 0, init.stderr);
  });
  after(async () => {
    for (const server of servers) server.kill();
    await oidc.close();
  });

  it('logs what it issues in its own CT log', async () => {
    const url = await serve();
    const before = (await (await fetch(`${url}/ct/v1/get-sth`)).json()) as { tree_size: number };
    const issued = await requestCertificate(url);
    assert.equal(issued.status, 200, await issued.clone().text());
    const after = (await (await fetch(`${url}/ct/v1/get-sth`)).json()) as { tree_size: number };
    assert.equal(after.tree_size, before.tree_size + 1);
  });

  it('with --ct-log-url and no log there, refuses to issue rather than issue without an SCT', async () => {
    const url = await serve('--ct-log-url', `http://127.0.0.1:${await freePort()}`);
    const refused = await requestCertificate(url);
    assert.equal(refused.status, 502);
    assert.match(
      ((await refused.json()) as { message: string }).message,
      /is the CT log running at --ct-log-url\?|ct\/v1\/add-pre-chain/,
    );
  });
});
