/**
 * Interop with the real distribution registry (docker-registry 2.8 from apt): the cosign-made fixture key
 * signs and verifies, the signature layout is cosign's, and every tampering case fails.
 */
import { dockerRegistryInstalled, startDockerRegistry } from '../helpers/docker-registry.js';
import { imageSigningSuite } from '../helpers/image-signing-suite.js';
import { peerMissing } from '../helpers/peers.js';

imageSigningSuite(
  'distribution registry (docker-registry)',
  startDockerRegistry,
  peerMissing('docker-registry', dockerRegistryInstalled()),
);
