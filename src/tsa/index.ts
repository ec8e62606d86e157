/** RFC 3161 timestamp authority (sigstore timestamp-authority API), its HTTP routes, and a client. */
export {
  createTsaChain,
  createTsaMaterial,
  type HeldTsaKey,
  type LoadTsaOptions,
  loadTsa,
  type Tsa,
  type TsaMaterial,
  type TsaMaterialOptions,
} from './authority.js';
export {
  fetchTimestampCertChain,
  parseTimestampToken,
  requestTimestamp,
  type TimestampClientOptions,
  type TimestampInfo,
  timestampEndpoint,
} from './client.js';
export { loadOrCreateTsaChain, loadOrCreateTsaMaterial } from './material-files.js';
export { createTsaMetrics, type TsaMetrics } from './metrics.js';
export { type HashName, hashByOid, OID } from './oids.js';
export { encodeTimestampRequest, type TimestampRequestFields } from './request.js';
export {
  CERTCHAIN_PATH,
  type RunningTsa,
  registerTsaRoutes,
  type StartTsaOptions,
  startTsa,
  TIMESTAMP_PATH,
} from './routes.js';
