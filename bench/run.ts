/**
 * `npm run bench`: every benchmark in turn, each printing its own figures; `npm run bench -- admission keyless`
 * runs only the ones named.
 */
import { benchAdmission } from './admission.js';
import { benchAdmissionCel } from './admission-cel.js';
import { benchAttestations } from './attestations.js';
import { benchCertificatesOnStack } from './certificates.js';
import { benchConditions } from './conditions.js';
import { benchConsole } from './console.js';
import { benchCopy } from './copy.js';
import { benchKeyless } from './keyless.js';
import { benchKms } from './kms.js';
import { benchKyvernoApply } from './kyverno-apply.js';
import { benchNotation } from './notation.js';
import { benchPeersCosign } from './peers-cosign.js';
import { benchPeersKube } from './peers-kube.js';
import { benchPkcs11 } from './pkcs11.js';
import { benchRegexp } from './regexp.js';
import { benchSbom } from './sbom.js';
import { benchStartup } from './startup.js';
import { benchTlog } from './tlog.js';
import { benchTlogChaos } from './tlog-chaos.js';
import { benchTlogReplicas } from './tlog-replicas.js';
import { benchVerifyBlob } from './verify-blob.js';
import { benchVerifyImage } from './verify-image.js';

const BENCHMARKS: Record<string, () => Promise<void>> = {
  'verify-image': benchVerifyImage,
  'verify-blob': benchVerifyBlob,
  keyless: benchKeyless,
  certificates: benchCertificatesOnStack,
  tlog: benchTlog,
  'tlog-replicas': benchTlogReplicas,
  'tlog-chaos': benchTlogChaos,
  conditions: benchConditions,
  regexp: benchRegexp,
  attestations: benchAttestations,
  sbom: benchSbom,
  pkcs11: benchPkcs11,
  kms: benchKms,
  admission: benchAdmission,
  'admission-cel': benchAdmissionCel,
  copy: benchCopy,
  notation: benchNotation,
  console: benchConsole,
  // the real tools beside sigil: cosign v3/v2 and the Kyverno CLI as processes, then the webhook behind a
  // real kube-apiserver
  peers: async () => {
    await benchPeersCosign();
    await benchKyvernoApply();
    await benchPeersKube();
  },
  startup: benchStartup,
};

const chosen = process.argv.slice(2);
const unknown = chosen.filter((name) => !(name in BENCHMARKS));
if (unknown.length > 0) {
  console.error(`unknown benchmark ${unknown.join(', ')}; choose from ${Object.keys(BENCHMARKS).join(', ')}`);
  process.exit(2);
}
console.log(`sigil benchmarks: node ${process.version}, ${process.platform}/${process.arch}`);
for (const [name, run] of Object.entries(BENCHMARKS)) {
  if (chosen.length === 0 || chosen.includes(name)) await run();
}
