/** attest / verify-attestation against the real distribution registry (Debian's docker-registry 2.8). */
import { attestationSuite } from '../helpers/attestation-suite.js';
import { dockerRegistryInstalled, startDockerRegistry } from '../helpers/docker-registry.js';
import { peerMissing } from '../helpers/peers.js';

attestationSuite(
  'distribution registry (docker-registry)',
  startDockerRegistry,
  peerMissing('docker-registry', dockerRegistryInstalled()),
);
