/**
 * @peculiar/x509, which builds the self-made certificates (a TSA's chain, the admission webhook's TLS),
 * loaded when first needed: importing it costs more than the rest of a client command's start-up.
 * It signs through WebCrypto; Node's implementation is the one provider it needs.
 */
import { webcrypto } from 'node:crypto';
import { lazy, lazyRequire } from '../core/index.js';

const requireX509 = lazyRequire<typeof import('@peculiar/x509')>('@peculiar/x509');

export const loadX509 = lazy(() => {
  const x509 = requireX509();
  x509.cryptoProvider.set(webcrypto);
  return x509;
});
