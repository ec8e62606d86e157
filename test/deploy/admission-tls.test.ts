/**
 * `sigil admission tls`: the CA and serving certificate the plain manifests deploy with. The certificate must
 * chain to the CA under the names the API server dials, `admission serve --tls-dir` must serve it, and a
 * client that trusts only ca.crt (as the API server trusts only the caBundle) must connect.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Secret } from 'kubernetes-models/v1/Secret';
import { parse } from 'yaml';
import { createWebhookTls, webhookDnsNames } from '../../src/admission/index.js';
import { isSigilError } from '../../src/core/index.js';
import { httpsGet, startAdmissionServe } from '../helpers/admission-serve.js';
import { errorLine, sigil, workDir } from '../helpers/cli.js';
import { freePort } from '../helpers/ports.js';

const SERVICE_NAMES = [
  'sigil.sigil-system.svc',
  'sigil.sigil-system.svc.cluster.local',
  'sigil.sigil-system',
  'sigil',
];

describe('createWebhookTls', () => {
  it('issues a server certificate for every Service name, chained to a CA that signs nothing else', async () => {
    const now = new Date('2030-01-01T00:00:00Z');
    const tls = await createWebhookTls({ service: 'sigil', namespace: 'sigil-system', days: 30, now });
    const ca = new X509Certificate(tls['ca.crt']);
    const cert = new X509Certificate(tls['tls.crt']);
    assert.equal(ca.ca, true);
    assert.equal(cert.ca, false);
    assert.ok(cert.checkIssued(ca));
    assert.ok(cert.verify(ca.publicKey));
    assert.ok(ca.verify(ca.publicKey), 'the CA is self-signed');
    assert.deepEqual(tls.dnsNames, SERVICE_NAMES);
    assert.equal(cert.subjectAltName, SERVICE_NAMES.map((name) => `DNS:${name}`).join(', '));
    for (const name of SERVICE_NAMES) assert.equal(cert.checkHost(name), name);
    assert.equal(cert.checkHost('other.sigil-system.svc'), undefined);
    assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.1'], 'extended key usage: serverAuth only');
    assert.equal(new Date(cert.validTo).getTime(), now.getTime() + 30 * 86_400_000);
    assert.ok(new Date(cert.validFrom) < now, 'back-dated for API servers with slow clocks');
    assert.match(tls['tls.key'], /^-----BEGIN PRIVATE KEY-----\n/);
  });

  it('--host names and addresses are certified too, for a webhook the API server reaches by clientConfig.url', async () => {
    const tls = await createWebhookTls({
      service: 'sigil',
      namespace: 'sigil-system',
      hosts: ['127.0.0.1', '::1', 'Webhook.Example.COM', 'sigil'],
    });
    const cert = new X509Certificate(tls['tls.crt']);
    assert.deepEqual(tls.dnsNames, [...SERVICE_NAMES, 'webhook.example.com'], 'no name twice');
    assert.deepEqual(tls.ipAddresses, ['127.0.0.1', '::1']);
    assert.equal(cert.checkIP('127.0.0.1'), '127.0.0.1');
    assert.equal(cert.checkIP('::1'), '::1');
    assert.equal(cert.checkHost('webhook.example.com'), 'webhook.example.com');
    for (const host of ['https://127.0.0.1', 'a..b', 'under_score.example', '-a.example']) {
      await assert.rejects(
        createWebhookTls({ service: 'sigil', namespace: 'ns', hosts: [host] }),
        (err: unknown) => isSigilError(err, 'BAD_INPUT') && String(err).includes(`host "${host}"`),
        host,
      );
    }
  });

  it('refuses names Kubernetes would refuse, and a validity that is not a positive whole number of days', async () => {
    for (const [service, namespace] of [
      ['Sigil', 'sigil-system'],
      ['sigil', 'sigil_system'],
      ['', 'sigil-system'],
      ['sigil', '-system'],
      ['a'.repeat(64), 'ns'],
    ] as const) {
      assert.throws(
        () => webhookDnsNames(service, namespace),
        (err: unknown) => isSigilError(err, 'BAD_INPUT'),
        `${service}/${namespace}`,
      );
    }
    for (const days of [0, -1, 1.5]) {
      await assert.rejects(
        createWebhookTls({ service: 'sigil', namespace: 'ns', days }),
        (err: unknown) => isSigilError(err, 'BAD_INPUT') && /positive number of days/.test(String(err)),
      );
    }
  });
});

describe('sigil admission tls', () => {
  let dir: string;
  let server: ChildProcess | undefined;

  const SIGIL_SERVICE = ['--service', 'sigil', '--namespace', 'sigil-system'];
  const HOOK_SERVICE = ['--service', 'hook', '--namespace', 'ns'];
  const tls = (...flags: string[]) => sigil(['admission', 'tls', ...flags], { cwd: dir });

  before(async () => {
    dir = await workDir();
  });
  after(() => {
    server?.kill('SIGTERM');
  });

  it('--output yaml: writes ca.crt, tls.crt and an owner-only tls.key, prints a valid kubernetes.io/tls Secret', async () => {
    const result = await tls(...SIGIL_SERVICE, '--out', 'tls', '--output', 'yaml');
    assert.equal(result.code, 0, result.stderr);
    const files = Object.fromEntries(
      await Promise.all(
        ['ca.crt', 'tls.crt', 'tls.key'].map(async (name) => [
          name,
          await readFile(join(dir, 'tls', name), 'utf8'),
        ]),
      ),
    );
    assert.equal((await stat(join(dir, 'tls', 'tls.key'))).mode & 0o777, 0o600);
    assert.equal(
      new X509Certificate(files['tls.crt']).checkIssued(new X509Certificate(files['ca.crt'])),
      true,
    );

    const caBundle = Buffer.from(files['ca.crt']).toString('base64');
    assert.match(result.stdout, new RegExp(`^# caBundle for the webhook configurations:\\n# ${caBundle}\\n`));
    const secret = parse(result.stdout) as Record<string, unknown>;
    new Secret(secret).validate();
    assert.equal(secret.type, 'kubernetes.io/tls');
    assert.deepEqual(secret.metadata, {
      name: 'sigil-tls',
      namespace: 'sigil-system',
      labels: { 'app.kubernetes.io/name': 'sigil' },
    });
    const data = secret.data as Record<string, string>;
    for (const name of ['ca.crt', 'tls.crt', 'tls.key'])
      assert.equal(Buffer.from(data[name] ?? '', 'base64').toString(), files[name], name);
  });

  it('--output json and the default text print the caBundle; --secret-name names the Secret', async () => {
    const json = await tls(...HOOK_SERVICE, '--out', 'json', '--output', 'json');
    assert.equal(json.code, 0, json.stderr);
    const printed = JSON.parse(json.stdout) as { caBundle: string; dnsNames: string[]; files: object };
    assert.equal(printed.caBundle, (await readFile(join(dir, 'json', 'ca.crt'))).toString('base64'));
    assert.deepEqual(printed.dnsNames, ['hook.ns.svc', 'hook.ns.svc.cluster.local', 'hook.ns', 'hook']);
    assert.deepEqual(printed.files, {
      'ca.crt': join('json', 'ca.crt'),
      'tls.crt': join('json', 'tls.crt'),
      'tls.key': join('json', 'tls.key'),
    });

    const text = await tls(...HOOK_SERVICE, '--out', 'text');
    assert.equal(text.code, 0, text.stderr);
    assert.equal(text.stdout, `${(await readFile(join(dir, 'text', 'ca.crt'))).toString('base64')}\n`);

    const named = await tls(
      ...HOOK_SERVICE,
      '--out',
      'named',
      '--output',
      'yaml',
      '--secret-name',
      'webhook-cert',
    );
    assert.equal((parse(named.stdout) as { metadata: { name: string } }).metadata.name, 'webhook-cert');
  });

  it('bad input: one error line, exit 1, nothing written', async () => {
    const badName = await tls('--service', 'Web_Hook', '--namespace', 'ns', '--out', 'bad');
    assert.equal(badName.code, 1);
    assert.match(errorLine(badName), /^Error: service name "Web_Hook" is not a Kubernetes name/);
    await assert.rejects(readdir(join(dir, 'bad')), /ENOENT/);

    const badDays = await tls('--service', 'a', '--namespace', 'ns', '--days', '0');
    assert.equal(badDays.code, 1);
    assert.match(badDays.stderr, /--days <n>' argument '0' is invalid/);

    await writeFile(join(dir, 'a-file'), 'not a directory');
    const notDir = await tls('--service', 'a', '--namespace', 'ns', '--out', 'a-file');
    assert.equal(notDir.code, 1);
    assert.match(errorLine(notDir), /^Error: cannot create --out directory a-file: /);

    const missing = await tls('--namespace', 'ns');
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /required option '--service <name>' not specified/);
  });

  it('admission serve --tls-dir serves the pair; only a client trusting ca.crt, dialing a Service name, connects', async () => {
    await mkdir(join(dir, 'policies'));
    const port = await freePort();
    server = await startAdmissionServe(
      ['--policies', 'policies', '--tls-dir', 'tls', '--addr', `127.0.0.1:${port}`],
      dir,
    );
    const ca = await readFile(join(dir, 'tls', 'ca.crt'), 'utf8');
    // The API server dials <service>.<namespace>.svc and trusts only the caBundle.
    const ready = await httpsGet(port, '/health/readiness', { ca, servername: 'sigil.sigil-system.svc' });
    assert.equal(ready.status, 200, ready.text);
    const live = await httpsGet(port, '/healthz', { ca, servername: 'sigil.sigil-system.svc.cluster.local' });
    assert.equal(live.status, 200);

    await assert.rejects(
      httpsGet(port, '/healthz', { servername: 'sigil.sigil-system.svc' }),
      (err: NodeJS.ErrnoException) => err.code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      'a client without the caBundle does not trust the certificate',
    );
    await assert.rejects(
      httpsGet(port, '/healthz', { ca, servername: 'other.sigil-system.svc' }),
      (err: NodeJS.ErrnoException) => err.code === 'ERR_TLS_CERT_ALTNAME_INVALID',
      'the certificate names only the sigil Service',
    );
    const otherCa = await readFile(join(dir, 'json', 'ca.crt'), 'utf8');
    await assert.rejects(
      httpsGet(port, '/healthz', { ca: otherCa, servername: 'sigil.sigil-system.svc' }),
      (err: NodeJS.ErrnoException) => err.code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      'another run of the command makes another CA',
    );
  });
});
