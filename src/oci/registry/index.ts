export {
  buildRegistryApp,
  type RegistryServerOptions,
  type RunningRegistry,
  startRegistry,
} from './server.js';
