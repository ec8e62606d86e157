/**
 * Two `sigil ca serve --ct-log-database postgres://...` replicas with the same CA files: certificates are
 * issued through either, every one's precertificate is in the one shared CT log (inclusion proof from
 * either replica against the final signed tree head), and kill -9 of the replica integrating the CT log
 * leaves the other issuing, with the tree consistent across the handover.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CT_ENTRY_TYPE, merkleTreeLeaf, parseSctList } from '../../src/ca/index.js';
import { embeddedSctTbs } from '../../src/ca/precertificate.js';
import { sha256 } from '../../src/core/index.js';
import { type RunningDevIssuer, startDevIssuer } from '../../src/oidc/index.js';
import { leafHash, verifyConsistency, verifyInclusion } from '../../src/tlog/index.js';
import { startSigilServer } from '../helpers/admission-serve.js';
import { sigil, workDir } from '../helpers/cli.js';
import { peerMissing } from '../helpers/peers.js';
import { freePort } from '../helpers/ports.js';
import { type PostgresServer, postgresBinDir, startPostgres } from '../helpers/postgres.js';
import { requestSigningCertificate } from '../helpers/signing-cert.js';

const pgSkip = peerMissing('PostgreSQL (postgresql)', postgresBinDir() !== undefined);

interface Sth {
  tree_size: number;
  sha256_root_hash: string;
}

interface Replica {
  url: string;
  child: ChildProcess;
}

const getJson = async <T>(url: string): Promise<T> => {
  const response = await fetch(url);
  assert.equal(response.status, 200, `${url}: ${await response.clone().text()}`);
  return (await response.json()) as T;
};

describe('CA replicas sharing a CT log on PostgreSQL', { skip: pgSkip }, () => {
  let dir: string;
  let postgres: PostgresServer;
  let oidc: RunningDevIssuer;
  const replicas: Replica[] = [];

  const serve = async (...flags: string[]): Promise<Replica> => {
    const port = await freePort();
    const args = ['ca', 'serve', '--addr', `127.0.0.1:${port}`, '--config', 'fulcio.json', ...flags];
    const child = await startSigilServer(args, dir, 'certificate authority listening on');
    return { url: `http://127.0.0.1:${port}`, child };
  };
  /** A certificate for a fresh key, issued through `url`; its leaf certificate and issuer. */
  const issue = async (url: string, n: number) => {
    const email = `replica-${n}@example.com`;
    const response = await requestSigningCertificate(url, await oidc.mint({ kind: 'email', email }), email);
    assert.equal(response.status, 200, await response.clone().text());
    const body = (await response.json()) as {
      signedCertificateEmbeddedSct: { chain: { certificates: string[] } };
    };
    const [leaf, issuer] = body.signedCertificateEmbeddedSct.chain.certificates.map(
      (pem) => new X509Certificate(pem),
    ) as [X509Certificate, X509Certificate];
    return { leaf, issuer };
  };
  /** The CT leaf hash the SCT embedded in `leaf` promises: the precertificate entry at its timestamp. */
  const promisedLeafHash = (leaf: X509Certificate, issuer: X509Certificate) => {
    const { tbs, sctList } = embeddedSctTbs(leaf.raw, 'issued certificate');
    const [sct] = parseSctList(sctList, 'SCT list');
    assert.ok(sct);
    return leafHash(
      merkleTreeLeaf({
        timestampMs: sct.timestampMs,
        entryType: CT_ENTRY_TYPE.precert,
        certificate: tbs,
        issuerKeyHash: sha256(issuer.publicKey.export({ type: 'spki', format: 'der' })),
        extensions: sct.extensions,
      }),
    );
  };
  const integrating = async (replica: Replica) =>
    (await getJson<{ ctLogIntegrating?: boolean }>(`${replica.url}/healthz`)).ctLogIntegrating === true;
  const assertIncluded = async (via: Replica, hash: Buffer, sth: Sth) => {
    const proof = await getJson<{ leaf_index: number; audit_path: string[] }>(
      `${via.url}/ct/v1/get-proof-by-hash?hash=${encodeURIComponent(hash.toString('base64'))}&tree_size=${sth.tree_size}`,
    );
    verifyInclusion(
      hash,
      proof.leaf_index,
      sth.tree_size,
      proof.audit_path.map((h) => Buffer.from(h, 'base64')),
      Buffer.from(sth.sha256_root_hash, 'base64'),
    );
  };

  before(async () => {
    dir = await workDir();
    postgres = await startPostgres();
    oidc = await startDevIssuer('127.0.0.1', 0);
    const config = { OIDCIssuers: { [oidc.issuers.email]: { ClientID: 'sigstore', Type: 'email' } } };
    await writeFile(join(dir, 'fulcio.json'), JSON.stringify(config));
    const init = await sigil(['ca', 'init'], { cwd: dir });
    assert.equal(init.code, 0, init.stderr);
    for (let i = 0; i < 2; i++) replicas.push(await serve('--ct-log-database', postgres.url));
  });
  after(async () => {
    for (const replica of replicas) replica.child.kill('SIGKILL');
    await oidc?.close();
    await postgres?.stop();
  });

  it('issues through either replica, and every SCT is for an entry of the one shared log', async () => {
    const roles = await Promise.all(replicas.map(integrating));
    assert.equal(roles.filter(Boolean).length, 1, `one replica integrates the CT log: ${roles}`);
    const issued = await Promise.all(
      Array.from({ length: 16 }, (_, n) => issue((replicas[n % 2] as Replica).url, n)),
    );
    // An SCT is answered only once its entry is durable: the tree already holds all of them.
    const [one, two] = (await Promise.all(replicas.map((r) => getJson<Sth>(`${r.url}/ct/v1/get-sth`)))) as [
      Sth,
      Sth,
    ];
    assert.equal(one.tree_size, 16);
    assert.deepEqual([two.tree_size, two.sha256_root_hash], [one.tree_size, one.sha256_root_hash]);
    for (const [n, { leaf, issuer }] of issued.entries()) {
      await assertIncluded(replicas[(n + 1) % 2] as Replica, promisedLeafHash(leaf, issuer), one);
    }
  });

  it('kill -9 of the integrating replica: the other takes the CT log over and goes on issuing', async () => {
    const sthBefore = await getJson<Sth>(`${replicas[0]?.url}/ct/v1/get-sth`);
    const roles = await Promise.all(replicas.map(integrating));
    const victim = replicas[roles.indexOf(true)] as Replica;
    const survivor = replicas.find((r) => r !== victim) as Replica;
    victim.child.kill('SIGKILL');
    // The survivor filed this one for an integrator and answers once it has taken the lease itself.
    const { leaf, issuer } = await issue(survivor.url, 100);
    assert.equal(await integrating(survivor), true);

    const sthAfter = await getJson<Sth>(`${survivor.url}/ct/v1/get-sth`);
    assert.equal(sthAfter.tree_size, sthBefore.tree_size + 1);
    await assertIncluded(survivor, promisedLeafHash(leaf, issuer), sthAfter);
    const { consistency } = await getJson<{ consistency: string[] }>(
      `${survivor.url}/ct/v1/get-sth-consistency?first=${sthBefore.tree_size}&second=${sthAfter.tree_size}`,
    );
    verifyConsistency(
      sthBefore.tree_size,
      sthAfter.tree_size,
      consistency.map((h) => Buffer.from(h, 'base64')),
      Buffer.from(sthBefore.sha256_root_hash, 'base64'),
      Buffer.from(sthAfter.sha256_root_hash, 'base64'),
    );
  });

  it('refuses --ct-log-url together with --ct-log-database', async () => {
    const port = await freePort();
    const refused = await sigil(
      [
        'ca',
        'serve',
        '--addr',
        `127.0.0.1:${port}`,
        '--config',
        'fulcio.json',
        '--ct-log-url',
        'http://127.0.0.1:1',
        '--ct-log-database',
        postgres.url,
      ],
      { cwd: dir },
    );
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /--ct-log-url and --ct-log-database exclude each other/);
  });
});
