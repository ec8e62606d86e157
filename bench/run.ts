/** `npm run bench`: every benchmark in turn; each prints its own figures. */
import { benchAdmission } from './admission.js';
import { benchAttestations } from './attestations.js';
import { benchConditions } from './conditions.js';
import { benchCopy } from './copy.js';
import { benchKeyless } from './keyless.js';
import { benchPkcs11 } from './pkcs11.js';
import { benchSbom } from './sbom.js';
import { benchTlog } from './tlog.js';
import { benchVerifyBlob } from './verify-blob.js';
import { benchVerifyImage } from './verify-image.js';

console.log(`sigil benchmarks: node ${process.version}, ${process.platform}/${process.arch}`);
await benchVerifyImage();
await benchVerifyBlob();
await benchKeyless();
await benchTlog();
await benchConditions();
await benchAttestations();
await benchSbom();
await benchPkcs11();
await benchAdmission();
await benchCopy();
