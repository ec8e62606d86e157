/**
 * A small X.509 PKI made by the `openssl` CLI for revocation tests: CAs, certificates whose AIA and CRL
 * distribution point extensions name loopback URLs, OpenSSL's own OCSP responder (`openssl ocsp -index`)
 * and CRLs made by `openssl ca -gencrl`, served by a plain HTTP server.
 */
import { execFileSync, spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';

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

/** A self-signed CA (P-256) with its own `openssl ca` database, for OCSP index and CRLs. */
export function makeCa(dir: string, name: string): Issued {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.crt`);
  openssl(dir, ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key]);
  openssl(dir, [
    'req',
    '-x509',
    '-new',
    '-key',
    key,
    '-out',
    cert,
    '-days',
    '30',
    '-subj',
    `/C=US/O=sigil test/CN=${name}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  writeFileSync(join(dir, `${name}.index`), '');
  writeFileSync(join(dir, `${name}.crlnumber`), '1000\n');
  return { name, cert, key, x509: new X509Certificate(readFileSync(cert)) };
}

export interface IssueOptions {
  ocsp?: string[];
  crl?: string[];
  /** Extra extension lines, e.g. `extendedKeyUsage=critical,OCSPSigning`. */
  extensions?: string[];
  ca?: boolean;
  /** Record the certificate as valid in the CA's database (what the OCSP responder and CRL read). */
  record?: boolean;
  days?: number;
}

export function issue(dir: string, issuer: Issued, name: string, options: IssueOptions = {}): Issued {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.crt`);
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  openssl(dir, ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key]);
  openssl(dir, ['req', '-new', '-key', key, '-out', csr, '-subj', `/C=US/O=sigil test/CN=${name}`]);
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
  writeFileSync(ext, `${lines.join('\n')}\n`);
  serial += 1;
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    issuer.cert,
    '-CAkey',
    issuer.key,
    '-out',
    cert,
    '-days',
    String(options.days ?? 10),
    '-set_serial',
    `0x${serial.toString(16)}`,
    '-extfile',
    ext,
    '-sha256',
  ]);
  const x509 = new X509Certificate(readFileSync(cert));
  if (options.record !== false) {
    const expiry = opensslTime(new Date(x509.validTo));
    const subject = `/C=US/O=sigil test/CN=${name}`;
    appendIndex(dir, issuer, `V\t${expiry}\t\t${x509.serialNumber}\tunknown\t${subject}`);
  }
  return { name, cert, key, x509 };
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
    caConfig(dir, issuer),
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
export function generateCrl(dir: string, issuer: Issued, hours = 24): Buffer {
  const out = join(dir, `${issuer.name}.crl.pem`);
  openssl(dir, [
    'ca',
    '-config',
    caConfig(dir, issuer),
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

function caConfig(dir: string, issuer: Issued): string {
  const path = join(dir, `${issuer.name}.cnf`);
  writeFileSync(
    path,
    [
      '[ ca ]',
      'default_ca = CA_default',
      '[ CA_default ]',
      `database = ${join(dir, `${issuer.name}.index`)}`,
      `crlnumber = ${join(dir, `${issuer.name}.crlnumber`)}`,
      'default_md = sha256',
      'unique_subject = no',
      '',
    ].join('\n'),
  );
  return path;
}

function appendIndex(dir: string, issuer: Issued, line: string): void {
  const path = join(dir, `${issuer.name}.index`);
  writeFileSync(path, `${line}\n`, { flag: 'a' });
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
