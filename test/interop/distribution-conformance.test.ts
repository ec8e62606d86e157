/** The conformance cases against the real distribution registry: the reference our registry must match. */
import { dockerRegistryInstalled, startDockerRegistry } from '../helpers/docker-registry.js';
import { peerMissing } from '../helpers/peers.js';
import { registryConformanceSuite } from '../helpers/registry-conformance.js';

registryConformanceSuite('distribution registry (docker-registry)', startDockerRegistry, {
  skip: peerMissing('docker-registry', dockerRegistryInstalled()),
  specStrict: false,
});
