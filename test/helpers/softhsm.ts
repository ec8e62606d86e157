/**
 * A throwaway SoftHSM2 token in a temp dir (its own SOFTHSM2_CONF), with key pairs generated on the token
 * through pkcs11js, for tests of PKCS#11 keys.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// Default import: the package is CommonJS and its constants are not visible as ESM named exports.
import pkcs11js from 'pkcs11js';
import { commandExists } from './peers.js';

export const SOFTHSM_MODULE = '/usr/lib/softhsm/libsofthsm2.so';
export const softhsmAvailable = commandExists('softhsm2-util') && existsSync(SOFTHSM_MODULE);

export interface SoftToken {
  label: string;
  pin: string;
  /** Environment for anything that loads the module (SOFTHSM2_CONF points at this token's store). */
  env: NodeJS.ProcessEnv;
  uri(object: string, query?: string): string;
}

/** Initialises a fresh token; sets SOFTHSM2_CONF in this process too, since the module reads it on load. */
export function createSoftToken(label = 'sigil-test', pin = '1234'): SoftToken {
  const dir = mkdtempSync(join(tmpdir(), 'sigil-softhsm-'));
  mkdirSync(join(dir, 'tokens'));
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(
    conf,
    `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`,
  );
  const env = { ...process.env, SOFTHSM2_CONF: conf };
  process.env.SOFTHSM2_CONF = conf;
  execFileSync(
    'softhsm2-util',
    ['--init-token', '--free', '--label', label, '--pin', pin, '--so-pin', '5678'],
    {
      env,
      stdio: 'ignore',
    },
  );
  return {
    label,
    pin,
    env,
    uri: (object, query = `module-path=${SOFTHSM_MODULE}&pin-value=${pin}`) =>
      `pkcs11:token=${label};object=${object}?${query}`,
  };
}

const EC_PARAMS: Record<'P-256' | 'P-384', string> = {
  'P-256': '06082a8648ce3d030107',
  'P-384': '06052b81040022',
};

/** Generates an ECDSA key pair on the token, both halves labelled `object` with CKA_ID `id`. */
export function generateTokenKey(
  token: SoftToken,
  object: string,
  id: Buffer,
  curve: 'P-256' | 'P-384' = 'P-256',
): void {
  const module = new pkcs11js.PKCS11();
  module.load(SOFTHSM_MODULE);
  module.C_Initialize();
  try {
    const slot = module
      .C_GetSlotList(true)
      .find((s) => module.C_GetTokenInfo(s).label.trimEnd() === token.label);
    if (!slot) throw new Error(`no token ${token.label}`);
    const session = module.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
    module.C_Login(session, pkcs11js.CKU_USER, token.pin);
    const common = [
      { type: pkcs11js.CKA_TOKEN, value: true },
      { type: pkcs11js.CKA_LABEL, value: object },
      { type: pkcs11js.CKA_ID, value: id },
    ];
    module.C_GenerateKeyPair(
      session,
      { mechanism: pkcs11js.CKM_EC_KEY_PAIR_GEN },
      [
        ...common,
        { type: pkcs11js.CKA_EC_PARAMS, value: Buffer.from(EC_PARAMS[curve], 'hex') },
        { type: pkcs11js.CKA_VERIFY, value: true },
      ],
      [
        ...common,
        { type: pkcs11js.CKA_PRIVATE, value: true },
        { type: pkcs11js.CKA_SENSITIVE, value: true },
        { type: pkcs11js.CKA_SIGN, value: true },
      ],
    );
    module.C_Logout(session);
    module.C_CloseSession(session);
  } finally {
    module.C_Finalize();
  }
}
