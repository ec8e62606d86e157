/**
 * The conformance cases against the real distribution registry (Debian's `docker-registry`, 2.8): the
 * reference the embedded registry is held to. Skipped, loudly, where it is not installed.
 */
import { describe } from 'node:test';
import { dockerRegistryInstalled, startDockerRegistry } from '../helpers/docker-registry.js';
import { peerMissing } from '../helpers/peers.js';
import { registryConformanceSuite } from '../oci/registry-conformance.js';

describe('docker-registry interop', {
  skip: peerMissing('docker-registry', dockerRegistryInstalled()),
}, () => {
  registryConformanceSuite('distribution registry (docker-registry)', startDockerRegistry);
});
