/**
 * The web console end to end in a real browser (Debian's Chromium through playwright-core): `sigil serve`'s
 * stack with a keyless-signed and attested image, `sigil admission serve` deciding two pods, and
 * `sigil console serve` in front of them. The log search finds the entry, the entry page verifies its
 * inclusion proof and checkpoint in the browser, a body altered in the database is shown not verified with
 * the reason, and the denied pod's decision is explained. The image page shows the image's Notation
 * signature beside its cosign ones and answers "would sigil verify accept it?" for a key and an identity.
 * Screenshots of each page go to docs/console/.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import type { Page } from 'playwright-core';
import type { Digest } from '../../src/core/index.js';
import { generateKeyPair } from '../../src/crypto/index.js';
import { formatReference, parseReference, pushTestImage, RegistryClient } from '../../src/oci/index.js';
import { type RunningStack, startStack } from '../../src/server/index.js';
import { startAdmissionServe, startSigilServer } from '../helpers/admission-serve.js';
import { type Browser, chromiumMissing, launchChromium } from '../helpers/chromium.js';
import { sigil, workDir } from '../helpers/cli.js';
import { notationHome } from '../helpers/notation.js';
import { freePort } from '../helpers/ports.js';
import { selfSignedCertificate } from '../helpers/tls.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SCREENSHOTS = join(ROOT, 'docs', 'console');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'admission');
const IDENTITY = 'https://github.com/org/app/.github/workflows/release.yml@refs/heads/main';

const skip = chromiumMissing();

function podReview(image: string, uid: string, name: string): string {
  const body = JSON.parse(readFileSync(join(FIXTURES, 'create-pod.json'), 'utf8'));
  body.request.uid = uid;
  body.request.name = name;
  body.request.object.metadata.name = name;
  body.request.object.spec.containers[0].image = image;
  return JSON.stringify(body);
}

async function postReview(url: string, ca: string, body: string): Promise<{ allowed: boolean }> {
  const { request } = await import('node:https');
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/mutate`,
      { method: 'POST', ca, headers: { 'content-type': 'application/json' } },
      (res) => {
        let text = '';
        res.on('data', (c) => {
          text += c;
        });
        res.on('end', () => resolve(JSON.parse(text).response));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('web console in Chromium', { skip }, () => {
  let stack: RunningStack;
  let dir: string;
  let image: string;
  let digest: Digest;
  let unsigned: string;
  let admission: ChildProcess;
  let consoleServer: ChildProcess;
  let consoleUrl: string;
  let browser: Browser;
  let page: Page;

  before(async () => {
    dir = await workDir();
    stack = await startStack({ dataDir: join(dir, '.sigil'), host: '127.0.0.1' });
    const client = new RegistryClient({});
    const reference = parseReference(`${stack.registryAddress}/org/app:v1`);
    digest = await pushTestImage(client, reference, { files: { 'app.txt': 'v1\n' } });
    image = formatReference({ ...reference, tag: undefined, digest });
    await pushTestImage(client, parseReference(`${stack.registryAddress}/org/unsigned:v1`), {
      files: { 'u.txt': 'u\n' },
    });
    unsigned = `${stack.registryAddress}/org/unsigned:v1`;
    const token = await stack.mintToken({ kind: 'github-actions', repository: 'org/app' });
    const signed = await sigil(['sign', '--yes', '--identity-token', token, image], { cwd: dir });
    assert.equal(signed.code, 0, signed.stderr);
    await writeFile(
      join(dir, 'sbom.json'),
      JSON.stringify({
        spdxVersion: 'SPDX-2.3',
        SPDXID: 'SPDXRef-DOCUMENT',
        name: 'org/app',
        packages: [
          {
            name: 'openssl',
            versionInfo: '3.0.15',
            licenseConcluded: 'Apache-2.0',
            externalRefs: [{ referenceType: 'purl', referenceLocator: 'pkg:deb/debian/openssl@3.0.15' }],
          },
          { name: 'zlib', versionInfo: '1.2.13', licenseConcluded: 'Zlib' },
        ],
      }),
    );
    const attested = await sigil(
      ['attest', '--yes', '--identity-token', token, '--type', 'spdxjson', '--predicate', 'sbom.json', image],
      { cwd: dir },
    );
    assert.equal(attested.code, 0, attested.stderr);
    // A second, key-made cosign signature (logged) and a Notary Project signature (COSE envelope).
    const env = { COSIGN_PASSWORD: '' };
    assert.equal((await sigil(['generate-key-pair'], { cwd: dir, env })).code, 0);
    const keySigned = await sigil(['sign', '--key', 'cosign.key', '--yes', image], { cwd: dir, env });
    assert.equal(keySigned.code, 0, keySigned.stderr);
    const notation = await notationHome('notation');
    const generated = await notation.sigil('cert', 'generate-test', '--default', 'wabbit-networks.io');
    assert.equal(generated.code, 0, generated.stderr);
    // Countersigned by the stack's TSA, whose root is the last certificate of its chain.
    const tsaChain = readFileSync(join(dir, '.sigil', 'tsa', 'chain.pem'), 'utf8');
    const tsaRoot = join(notation.dir, 'tsa-root.pem');
    await writeFile(
      tsaRoot,
      `-----BEGIN CERTIFICATE-----${tsaChain.split('-----BEGIN CERTIFICATE-----').pop()}`,
    );
    const notarized = await notation.sigil(
      'sign',
      '--signature-format',
      'cose',
      '--timestamp-url',
      `${stack.urls.tsa}/api/v1/timestamp`,
      '--timestamp-root-cert',
      tsaRoot,
      image,
    );
    assert.equal(notarized.code, 0, notarized.stderr);

    // The webhook: images under org/ must carry a keyless signature from org/app's release workflow.
    await mkdir(join(dir, 'policies'));
    await writeFile(
      join(dir, 'policies', 'verify.yaml'),
      `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: require-release-signature
spec:
  validationFailureAction: Enforce
  webhookTimeoutSeconds: 30
  rules:
    - name: signed-by-release-workflow
      match:
        any:
          - resources:
              kinds: [Pod]
      verifyImages:
        - imageReferences: ["${stack.registryAddress}/org/*"]
          attestors:
            - entries:
                - keyless:
                    subject: "${IDENTITY}"
                    issuer: "${stack.issuers['github-actions']}"
                    rekor:
                      url: ${stack.urls.tlog}
`,
    );
    const tls = selfSignedCertificate();
    await writeFile(join(dir, 'tls.crt'), tls.cert);
    await writeFile(join(dir, 'tls.key'), tls.key);
    const admissionPort = await freePort();
    admission = await startAdmissionServe(
      [
        '--policies',
        'policies',
        '--tls-cert',
        'tls.crt',
        '--tls-key',
        'tls.key',
        '--addr',
        `127.0.0.1:${admissionPort}`,
      ],
      dir,
      { SIGSTORE_TRUSTED_ROOT: join(dir, '.sigil', 'trusted_root.json') },
    );
    const admissionUrl = `https://127.0.0.1:${admissionPort}`;
    assert.equal(
      (await postReview(admissionUrl, tls.cert, podReview(image, 'uid-allowed', 'app'))).allowed,
      true,
    );
    assert.equal(
      (await postReview(admissionUrl, tls.cert, podReview(unsigned, 'uid-denied', 'rogue'))).allowed,
      false,
    );

    const consolePort = await freePort();
    consoleServer = await startSigilServer(
      ['console', 'serve', '--tlog-url', stack.urls.tlog, '--registry', stack.registryAddress].concat([
        '--admission-url',
        admissionUrl,
        '--upstream-cacert',
        'tls.crt',
        '--trusted-root',
        join('.sigil', 'trusted_root.json'),
        '--addr',
        `127.0.0.1:${consolePort}`,
      ]),
      dir,
      'web console on',
    );
    consoleUrl = `http://127.0.0.1:${consolePort}/ui/`;
    browser = await launchChromium();
    page = await browser.context.newPage();
    await mkdir(SCREENSHOTS, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    consoleServer?.kill();
    admission?.kill();
    await stack?.close();
  });

  const shot = (name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });

  it('finds the signature by identity and verifies its inclusion proof in the browser', async () => {
    await page.goto(consoleUrl);
    await page.getByLabel('Search by').selectOption('identity');
    await page.getByLabel('Value').fill(IDENTITY);
    await page.getByRole('button', { name: 'Search' }).click();
    const rows = page.locator('table.results tbody tr');
    await rows.first().waitFor();
    assert.equal(await rows.count(), 2, 'the signature and the attestation');
    await shot('search');
    await rows.last().locator('a').first().click();
    const verdict = page.getByTestId('verdict');
    await verdict.waitFor();
    assert.equal((await verdict.textContent())?.trim(), '✔ verified');
    const text = (await page.locator('main').textContent()) ?? '';
    assert.match(text, /inclusion proof: \d+ hashes lead from the leaf/);
    assert.match(text, /checkpoint signature: signed by 127\.0\.0\.1 with the log's ECDSA P-256 key/);
    assert.match(text, /signed entry timestamp/);
    assert.ok(text.includes(IDENTITY), 'the certificate identity');
    assert.ok(text.includes(stack.issuers['github-actions']), 'the OIDC issuer');
    assert.match(text, /GitHub workflow repository\s*org\/app/);
    await shot('entry');
  });

  it('searches by artifact hash, OIDC issuer and log index, with deep links', async () => {
    const answer = (await (await fetch(`${consoleUrl}api/log/entries?logIndex=0`)).json()) as object;
    const first = Object.values(answer)[0] as {
      body: string;
    };
    const hash = JSON.parse(Buffer.from(first.body, 'base64').toString('utf8')).spec.data.hash.value;
    for (const [field, value, least] of [
      ['hash', `sha256:${hash}`, 1],
      ['issuer', stack.issuers['github-actions'], 2],
      ['logIndex', '0', 1],
    ] as const) {
      await page.goto(`${consoleUrl}#/search?field=${field}&value=${encodeURIComponent(value)}`);
      const rows = page.locator('table.results tbody tr');
      await rows.first().waitFor();
      assert.ok((await rows.count()) >= least, `${field} ${value}`);
    }
  });

  it('is driven by the keyboard: a search is typed and submitted with Enter', async () => {
    await page.goto(`${consoleUrl}#/search`);
    await page.getByLabel('Search by').focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Tab');
    await page.keyboard.type(stack.issuers['github-actions']);
    await page.keyboard.press('Enter');
    await page.locator('table.results tbody tr').first().waitFor();
    assert.match(page.url(), /#\/search\?field=issuer&value=/);
  });

  it('shows the log health with checkpoints verified and consistent', async () => {
    await page.goto(`${consoleUrl}#/health`);
    const verdict = page.getByTestId('health-verdict');
    await verdict.waitFor();
    assert.match((await verdict.textContent()) ?? '', /signed by the log and consistent/);
    await shot('health');
  });

  it("shows the image's cosign and Notation signatures and its SBOM attestation", async () => {
    await page.goto(`${consoleUrl}#/image?ref=${encodeURIComponent('org/app:v1')}`);
    await page.getByRole('heading', { name: /Signatures \(2\)/ }).waitFor();
    const text = (await page.locator('main').textContent()) ?? '';
    assert.ok(text.includes(digest));
    assert.ok(text.includes(IDENTITY));
    assert.ok(text.includes('a key (no certificate)'));
    assert.ok(text.includes('https://spdx.dev/Document'));
    assert.ok(text.includes('openssl') && text.includes('3.0.15'));
    const notary = page.getByRole('table', { name: /Notary Project signatures \(1\)/ });
    const row = (await notary.locator('tbody tr').textContent()) ?? '';
    assert.match(row, /^COSE PS256notary\.x509\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
    assert.ok(row.includes('CN=wabbit-networks.io,O=Notary,L=Seattle,ST=WA,C=US'), row);
    assert.match(row, /\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z, \d{4}-.+Z\]$/, 'the TSA countersignature');
  });

  const verifyWith = async (question: { key: string } | { identity: string; issuer: string }) => {
    await page.goto(`${consoleUrl}#/image?ref=${encodeURIComponent('org/app:v1')}`);
    if ('key' in question) {
      await page.getByLabel('Public key (PEM)').fill(question.key);
    } else {
      await page.getByLabel(/a certificate identity and OIDC issuer/).check();
      await page.getByLabel('Certificate identity', { exact: true }).fill(question.identity);
      await page.getByLabel('OIDC issuer', { exact: true }).fill(question.issuer);
    }
    await page.getByRole('button', { name: 'Verify' }).click();
    const verdict = page.getByTestId('verify-verdict');
    await verdict.waitFor();
    return (await verdict.textContent()) ?? '';
  };

  it('says what sigil verify would say with the right key and with another key', async () => {
    const otherKey = generateKeyPair().publicKey.export({ type: 'spki', format: 'pem' }).toString();
    assert.match(
      await verifyWith({ key: otherKey }),
      /^✘ not verified: no matching signatures for 127\.0\.0\.1:\d+\/org\/app@sha256:[0-9a-f]{64}: signature 1 \(sha256:[0-9a-f]+\): invalid signature for the given public key; signature 2 /,
    );
    const key = readFileSync(join(dir, 'cosign.pub'), 'utf8');
    assert.equal(await verifyWith({ key }), '✔ verified by the given key');
    await shot('image');
  });

  it('says what sigil verify would say with a certificate identity, matching or not', async () => {
    const issuer = stack.issuers['github-actions'];
    assert.equal(
      await verifyWith({ identity: IDENTITY, issuer }),
      `✔ verified by ${IDENTITY} (issuer ${issuer})`,
    );
    const other = 'https://github.com/org/app/.github/workflows/other.yml@refs/heads/main';
    const refused = await verifyWith({ identity: other, issuer });
    assert.match(refused, /^✘ not verified: no matching signatures for .+/);
    assert.ok(refused.includes(other), refused);
  });

  it('explains the denied pod', async () => {
    await page.goto(`${consoleUrl}#/admissions?result=denied`);
    const rows = page.locator('table.results tbody tr');
    await rows.first().waitFor();
    assert.equal(await rows.count(), 1);
    assert.match((await rows.first().textContent()) ?? '', /denied.*rogue/);
    await page.goto(`${consoleUrl}#/admissions`);
    await page.locator('table.results tbody tr').nth(1).waitFor();
    await page.getByText('PolicyReports', { exact: true }).click();
    const reports = page.locator('details table caption');
    await reports.waitFor();
    assert.match((await reports.textContent()) ?? '', /^[12] PolicyReports, latest per resource$/);
    await shot('admissions');
    await page.goto(`${consoleUrl}#/admissions/uid-denied`);
    const verdict = page.getByTestId('decision-verdict');
    await verdict.waitFor();
    assert.match((await verdict.textContent()) ?? '', /denied: Pod default\/rogue/);
    const message = (await page.getByTestId('decision-message').textContent()) ?? '';
    assert.match(message, /require-release-signature/);
    assert.match(message, /signed-by-release-workflow/);
    assert.ok(message.includes('org/unsigned'), message);
    assert.match(message, /signature/i);
    await shot('decision');
  });

  it('shows an entry whose body was altered in the database as not verified, saying why', async () => {
    const db = new Database(join(dir, '.sigil', 'tlog', 'log.db'));
    try {
      const row = db.prepare('SELECT idx, body FROM entries ORDER BY idx LIMIT 1').get() as {
        idx: number;
        body: Buffer;
      };
      const body = JSON.parse(row.body.toString('utf8'));
      body.spec.data.hash.value = 'f'.repeat(64);
      db.prepare('UPDATE entries SET body = ? WHERE idx = ?').run(Buffer.from(JSON.stringify(body)), row.idx);
    } finally {
      db.close();
    }
    await page.goto(`${consoleUrl}#/search?field=logIndex&value=0`);
    await page.locator('table.results tbody tr a').first().click();
    const verdict = page.getByTestId('verdict');
    await verdict.waitFor();
    const text = (await verdict.textContent()) ?? '';
    assert.match(
      text,
      /^✘ not verified: the body's leaf hash [0-9a-f]{16}… is not the entry's UUID: the body was altered$/,
    );
    await shot('entry-tampered');
  });
});
