/**
 * A small X.509 PKI made by the `openssl` CLI for revocation tests: CAs, certificates whose AIA and CRL
 * distribution point extensions name loopback URLs, OpenSSL's own OCSP responder (`openssl ocsp -index`)
 * and CRLs made by `openssl ca -gencrl`, served by a plain HTTP server.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createPrivateKey, webcrypto, X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { derInteger, integerContent } from '../../src/core/index.js';
import { loadX509 } from '../../src/crypto/index.js';

export interface Issued {
  name: string;
  cert: string;
  key: string;
  x509: X509Certificate;
}

let serial = 0x1000;

function openssl(dir: string, args: string[]): string {
  return execFileSync('openssl', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A self-signed CA (P-256), valid from a day ago, with its own `openssl ca` database for OCSP and CRLs. */
export function makeCa(dir: string, name: string): Issued {
  initDatabase(dir, name);
  const start = new Date(Date.now() - 86_400_000);
  const extensions = ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign'];
  return certify(dir, name, { name, key: join(dir, `${name}.key`) }, extensions, start, 60);
}

/**
 * A P-256 key and a certificate for it signed by `issuer` (no `cert`: self-signed) with `openssl ca`,
 * which records it in the CA's database (what its OCSP responder and CRLs read) and, unlike
 * `openssl x509 -req`, can backdate it.
 */
function certify(
  dir: string,
  name: string,
  issuer: { name: string; key: string; cert?: string },
  extensions: string[],
  start: Date,
  days: number,
): Issued {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.crt`);
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  openssl(dir, ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key]);
  openssl(dir, ['req', '-new', '-key', key, '-out', csr, '-subj', `/C=US/O=sigil test/CN=${name}`]);
  writeFileSync(ext, `${extensions.join('\n')}\n`);
  const end = new Date(start.getTime() + days * 86_400_000);
  openssl(dir, [
    'ca',
    '-batch',
    '-config',
    caConfig(dir, issuer.name),
    '-in',
    csr,
    '-out',
    cert,
    '-keyfile',
    issuer.key,
    ...(issuer.cert ? ['-cert', issuer.cert] : ['-selfsign']),
    '-extfile',
    ext,
    '-notext',
    '-md',
    'sha256',
    '-startdate',
    opensslTime(start),
    '-enddate',
    opensslTime(end),
  ]);
  return { name, cert, key, x509: new X509Certificate(readFileSync(cert)) };
}

/** The files of an `openssl ca` database; each CA numbers its certificates from its own base. */
function initDatabase(dir: string, name: string): void {
  writeFileSync(join(dir, `${name}.index`), '');
  writeFileSync(join(dir, `${name}.crlnumber`), '1000\n');
  serial += 0x100;
  writeFileSync(join(dir, `${name}.serial`), `${serial.toString(16)}\n`);
}

export interface IssueOptions {
  ocsp?: string[];
  crl?: string[];
  /** Extra extension lines, e.g. `extendedKeyUsage=critical,OCSPSigning`. */
  extensions?: string[];
  ca?: boolean;
  /** How long before now the certificate becomes valid (default an hour). */
  backdateSeconds?: number;
  /** Record the certificate as valid in the CA's database (what the OCSP responder and CRL read). */
  record?: boolean;
  days?: number;
}

export function issue(dir: string, issuer: Issued, name: string, options: IssueOptions = {}): Issued {
  const aia = options.ocsp?.map((url) => `OCSP;URI:${url}`).join(',');
  const cdp = options.crl?.map((url) => `URI:${url}`).join(',');
  const lines = [
    options.ca ? 'basicConstraints=critical,CA:TRUE' : 'basicConstraints=critical,CA:FALSE',
    options.ca ? 'keyUsage=critical,keyCertSign,cRLSign' : 'keyUsage=critical,digitalSignature',
    ...(options.ca || options.extensions?.some((line) => line.startsWith('extendedKeyUsage'))
      ? []
      : ['extendedKeyUsage=codeSigning']),
    ...(aia ? [`authorityInfoAccess=${aia}`] : []),
    ...(cdp ? [`crlDistributionPoints=${cdp}`] : []),
    ...(options.extensions ?? []),
  ];
  const start = new Date(Date.now() - (options.backdateSeconds ?? 3600) * 1000);
  const issued = certify(dir, name, issuer, lines, start, options.days ?? 10);
  if (options.record === false) {
    // Left out of the database: the responder then answers "unknown" for it.
    const path = join(dir, `${issuer.name}.index`);
    const kept = readFileSync(path, 'utf8')
      .split('\n')
      .filter((line) => !line.endsWith(`/CN=${name}`));
    writeFileSync(path, kept.join('\n'));
  }
  if (options.ca) initDatabase(dir, name);
  return issued;
}

/**
 * Marks `subject` revoked in its CA's database (`reason` as `openssl ca -crl_reason` spells it); a
 * `compromised` date revokes for key compromise with that invalidity date.
 */
export function revoke(
  dir: string,
  issuer: Issued,
  subject: Issued,
  reason = 'keyCompromise',
  compromised?: Date,
): void {
  const why = compromised
    ? ['-crl_compromise', `${compromised.toISOString().slice(0, 19).replace(/[-T:]/g, '')}Z`]
    : ['-crl_reason', reason];
  openssl(dir, [
    'ca',
    '-config',
    caConfig(dir, issuer.name),
    '-revoke',
    subject.cert,
    ...why,
    '-keyfile',
    issuer.key,
    '-cert',
    issuer.cert,
  ]);
}

/** A DER CRL over the CA's database, valid for `hours` (`openssl ca -gencrl`). */
export function generateCrl(dir: string, issuer: Issued, hours = 24, freshestCrl?: string): Buffer {
  const out = join(dir, `${issuer.name}.crl.pem`);
  openssl(dir, [
    'ca',
    '-config',
    caConfig(dir, issuer.name, freshestCrl),
    '-gencrl',
    '-keyfile',
    issuer.key,
    '-cert',
    issuer.cert,
    '-crlhours',
    String(hours),
    '-out',
    out,
  ]);
  return execFileSync('openssl', ['crl', '-in', out, '-outform', 'DER']);
}

/** The CA's `openssl ca` configuration; `freshestCrl` makes its CRLs name a delta CRL there. */
function caConfig(dir: string, name: string, freshestCrl?: string): string {
  const path = join(dir, `${name}.cnf`);
  writeFileSync(
    path,
    [
      '[ ca ]',
      'default_ca = CA_default',
      '[ CA_default ]',
      `database = ${join(dir, `${name}.index`)}`,
      `crlnumber = ${join(dir, `${name}.crlnumber`)}`,
      'default_md = sha256',
      'unique_subject = no',
      `new_certs_dir = ${dir}`,
      `serial = ${join(dir, `${name}.serial`)}`,
      'policy = policy_any',
      'preserve = yes',
      'email_in_dn = no',
      ...(freshestCrl ? ['crl_extensions = crl_ext'] : []),
      '[ policy_any ]',
      'countryName = optional',
      'organizationName = optional',
      'commonName = supplied',
      ...(freshestCrl ? ['[ crl_ext ]', `freshestCRL = URI:${freshestCrl}`] : []),
      '',
    ].join('\n'),
  );
  return path;
}

function opensslTime(date: Date): string {
  return `${date.toISOString().slice(2, 19).replace(/[-T:]/g, '')}Z`;
}

export interface OcspResponder {
  url: string;
  stop(): Promise<void>;
}

/**
 * OpenSSL's OCSP responder for `ca`'s database, signed by `signer` (the CA itself or a delegated
 * responder); `nextUpdateMinutes` undefined leaves nextUpdate out, as OpenSSL does without -nmin.
 * `openssl ocsp -port` listens on every interface, so a loopback HTTP front hands each request to
 * `openssl ocsp -reqin ... -respout ...`, the same responder code run once per request.
 */
export async function startOcspResponder(
  dir: string,
  ca: Issued,
  signer: Issued,
  port: number,
  nextUpdateMinutes?: number,
): Promise<OcspResponder> {
  let count = 0;
  const answer = async (request: Buffer): Promise<Buffer> => {
    count += 1;
    const reqin = join(dir, `ocsp-${port}-${count}.req`);
    const respout = join(dir, `ocsp-${port}-${count}.resp`);
    writeFileSync(reqin, request);
    await run(
      'openssl',
      [
        'ocsp',
        '-index',
        join(dir, `${ca.name}.index`),
        '-CA',
        ca.cert,
        '-rsigner',
        signer.cert,
        '-rkey',
        signer.key,
        '-reqin',
        reqin,
        '-respout',
        respout,
        ...(nextUpdateMinutes ? ['-nmin', String(nextUpdateMinutes)] : []),
      ],
      dir,
    );
    return readFileSync(respout);
  };
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body =
        request.method === 'GET'
          ? Buffer.from(decodeURIComponent((request.url ?? '/').slice(1)), 'base64')
          : Buffer.concat(chunks);
      answer(body).then(
        (der) => response.writeHead(200, { 'content-type': 'application/ocsp-response' }).end(der),
        (err: Error) => response.writeHead(500).end(err.message),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function run(command: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (chunk) => {
      stderr += chunk;
    });
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} exited ${code}: ${stderr}`)),
    );
  });
}

export interface FileServer {
  url: string;
  files: Map<string, Buffer>;
  close(): Promise<void>;
}

/** Serves `files` (path → bytes) over HTTP on loopback, 404 for anything else. */
export async function startFileServer(port = 0): Promise<FileServer> {
  const files = new Map<string, Buffer>();
  const server: Server = createServer((request, response) => {
    const body = files.get(request.url ?? '');
    if (!body) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'application/pkix-crl' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address();
  const actual = typeof address === 'object' && address ? address.port : port;
  return {
    url: `http://127.0.0.1:${actual}`,
    files,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * A delta CRL of `issuer` (`openssl ca` makes none): `entries` revoked (hex serials), CRL number
 * `number`, applying to base CRL `baseNumber`, signed with the CA's key; valid for `hours`.
 */
export async function generateDeltaCrl(
  issuer: Issued,
  entries: string[],
  number: bigint,
  baseNumber: bigint,
  hours = 24,
): Promise<Buffer> {
  const x509 = loadX509();
  const pkcs8 = createPrivateKey(readFileSync(issuer.key)).export({ type: 'pkcs8', format: 'der' });
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const signingKey = await webcrypto.subtle.importKey('pkcs8', pkcs8, algorithm, false, ['sign']);
  const integer = (value: bigint) => derInteger(integerContent(value));
  const now = Date.now();
  const crl = await x509.X509CrlGenerator.create({
    issuer: new x509.X509Certificate(issuer.x509.raw).subjectName,
    thisUpdate: new Date(now - 60_000),
    nextUpdate: new Date(now + hours * 3600_000),
    entries: entries.map((serialNumber) => ({ serialNumber, revocationDate: new Date(now - 60_000) })),
    extensions: [
      new x509.Extension('2.5.29.20', false, integer(number)),
      new x509.Extension('2.5.29.27', true, integer(baseNumber)),
    ],
    signingKey,
    signingAlgorithm: algorithm,
  });
  return Buffer.from(crl.rawData);
}
