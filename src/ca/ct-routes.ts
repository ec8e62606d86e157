/**
 * The RFC 6962 section 4 API of the CA's CT log, under `/ct/v1/`: submissions (add-chain, add-pre-chain)
 * and the read API monitors and auditors use (get-sth, get-sth-consistency, get-proof-by-hash,
 * get-entries, get-roots). Binary values are base64, as the RFC specifies.
 */
import type { FastifyInstance } from 'fastify';
import { isRecord, SigilError } from '../core/index.js';
import { digitallySigned } from './ct-encoding.js';
import type { CtLog, SignedCertificateTimestamp } from './ct-log.js';

export function registerCtRoutes(app: FastifyInstance, log: CtLog): void {
  app.post('/ct/v1/add-chain', async (request) => sctJson(await log.addChain(submittedChain(request.body))));
  app.post('/ct/v1/add-pre-chain', async (request) =>
    sctJson(await log.addPreChain(submittedChain(request.body))),
  );

  app.get('/ct/v1/get-sth', async () => {
    const sth = await log.signedTreeHead();
    return {
      tree_size: sth.treeSize,
      timestamp: sth.timestampMs,
      sha256_root_hash: sth.rootHash.toString('base64'),
      tree_head_signature: sth.signature.toString('base64'),
    };
  });

  app.get('/ct/v1/get-sth-consistency', async (request) => {
    const query = request.query as Record<string, unknown>;
    const proof = await log.consistency(count(query.first, 'first'), count(query.second, 'second'));
    return { consistency: proof.map((hash) => hash.toString('base64')) };
  });

  app.get('/ct/v1/get-proof-by-hash', async (request) => {
    const query = request.query as Record<string, unknown>;
    const hash = typeof query.hash === 'string' ? Buffer.from(query.hash, 'base64') : Buffer.alloc(0);
    if (hash.length !== 32) throw new SigilError('BAD_INPUT', 'hash must be a base64 SHA-256 leaf hash');
    const proof = await log.proofByHash(hash, count(query.tree_size, 'tree_size'));
    return { leaf_index: proof.leafIndex, audit_path: proof.auditPath.map((h) => h.toString('base64')) };
  });

  app.get('/ct/v1/get-entries', async (request) => {
    const query = request.query as Record<string, unknown>;
    const entries = await log.entries(count(query.start, 'start'), count(query.end, 'end'));
    return {
      entries: entries.map((entry) => ({
        leaf_input: entry.leafInput.toString('base64'),
        extra_data: entry.extraData.toString('base64'),
      })),
    };
  });

  app.get('/ct/v1/get-roots', async () => ({
    certificates: log.roots.map((root) => root.raw.toString('base64')),
  }));
}

function sctJson(sct: SignedCertificateTimestamp) {
  return {
    sct_version: 0,
    id: sct.logId.toString('base64'),
    timestamp: sct.timestampMs,
    extensions: '',
    signature: digitallySigned(sct.signature).toString('base64'),
  };
}

/** The `{"chain": [base64 DER, ...]}` body of add-chain and add-pre-chain. */
function submittedChain(body: unknown): Buffer[] {
  const chain = isRecord(body) ? body.chain : undefined;
  if (!Array.isArray(chain) || chain.length === 0) {
    throw new SigilError('BAD_INPUT', 'expected {"chain": [base64 DER certificates]}');
  }
  return chain.map((item, i) => {
    if (typeof item !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(item)) {
      throw new SigilError('BAD_INPUT', `chain[${i}] is not base64`);
    }
    return Buffer.from(item, 'base64');
  });
}

function count(value: unknown, name: string): number {
  const parsed = typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : Number.NaN;
  if (Number.isNaN(parsed))
    throw new SigilError('BAD_INPUT', `query parameter ${name} must be a non-negative integer`);
  return parsed;
}
