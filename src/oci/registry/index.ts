/** The embedded OCI distribution registry: start it, or build its fastify app for embedding and tests. */
export type { BasicCredentials } from './auth.js';
export {
  buildRegistryApp,
  type RegistryServerOptions,
  type RunningRegistry,
  startRegistry,
} from './server.js';
