/** AWS KMS keys (awskms://) through local-kms, the pinned peer that speaks the AWS KMS API. */

import { kmsInteropSuite } from '../helpers/kms-interop-suite.js';
import { localKmsPeer, startLocalKms } from '../helpers/kms-servers.js';

const peer = localKmsPeer();

kmsInteropSuite({
  provider: 'AWS KMS (local-kms)',
  skip: peer.skip,
  start: () => startLocalKms(peer.path),
  keyUri: 'awskms:///alias/sigil-interop',
  otherKeyUri: 'awskms:///alias/sigil-other',
});
