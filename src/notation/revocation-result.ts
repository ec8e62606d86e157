/**
 * The result types of a revocation check, with notation-core-go's meanings: per server, then per
 * certificate; `nonRevokable` is a certificate that names neither OCSP nor CRL (and every root).
 */
export type RevocationStatus = 'ok' | 'revoked' | 'unknown' | 'nonRevokable';

export type RevocationMethod = 'ocsp' | 'crl';

export interface ServerResult {
  method: RevocationMethod;
  /** The URL asked. */
  server: string;
  status: 'ok' | 'revoked' | 'unknown';
  /** Why the status is not `ok`, one line. */
  error?: string;
}

export interface CertificateRevocation {
  status: RevocationStatus;
  /** `ocspFallbackCrl`: OCSP could not tell, the CRL decided. `none`: nothing to check. */
  method: RevocationMethod | 'ocspFallbackCrl' | 'none';
  servers: ServerResult[];
}

/** The body of an HTTP answer, refused past `limit` bytes (a hostile server must not exhaust memory). */
export async function readHttpBody(response: Response, limit: number, what: string): Promise<Buffer> {
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > limit) throw new Error(`${what} is larger than ${limit} bytes`);
  const chunks: Buffer[] = [];
  let total = 0;
  if (response.body) {
    for await (const chunk of response.body) {
      total += chunk.byteLength;
      if (total > limit) throw new Error(`${what} is larger than ${limit} bytes`);
      chunks.push(Buffer.from(chunk));
    }
  }
  return Buffer.concat(chunks);
}
