/** Vault transit keys (hashivault://) through an OpenBao dev server, the pinned peer with Vault's API. */

import { kmsInteropSuite } from '../helpers/kms-interop-suite.js';
import { openBaoPeer, startOpenBao } from '../helpers/kms-servers.js';

const peer = openBaoPeer();

kmsInteropSuite({
  provider: 'Vault transit (OpenBao)',
  skip: peer.skip,
  start: () => startOpenBao(peer.path),
  keyUri: 'hashivault://sigil-interop',
  otherKeyUri: 'hashivault://sigil-other',
});
