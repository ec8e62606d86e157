import { signImage, verifyImage } from './src/cosign/index.js';
import { generateKeyPair, keySigner } from './src/crypto/index.js';
import { parseReference, pushTestImage, RegistryClient } from './src/oci/index.js';
import { startDockerRegistry } from './test/helpers/docker-registry.js';
const registry = await startDockerRegistry();
const log: string[] = [];
const timedFetch: typeof fetch = async (url, init) => {
  const t = performance.now();
  const r = await fetch(url, init);
  log.push(`${init?.method ?? 'GET'} ${String(url).replace(/^.*\/v2\//, '')} ${r.status} ${(performance.now() - t).toFixed(2)}ms`);
  return r;
};
const client = new RegistryClient({ fetch: timedFetch });
const key = generateKeyPair('ecdsa-p256');
const image = parseReference(`${registry.address}/team/app:v1`);
await pushTestImage(client, image, { files: { 'f.txt': 'x' } });
await signImage({ client, signer: keySigner(key.privateKey), image });
for (let i = 0; i < 5; i++) {
  log.length = 0;
  const t = performance.now();
  await verifyImage({ client, image, publicKey: key.publicKey, ignoreTlog: true, checkDockerReference: true });
  console.log(`total ${(performance.now() - t).toFixed(2)}ms`, log);
}
await registry.close();
