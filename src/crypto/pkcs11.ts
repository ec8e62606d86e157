/**
 * A Signer whose private key stays on a PKCS#11 token (an HSM, SoftHSM2, a smart card), addressed by a
 * cosign-style `pkcs11:` URI. ECDSA keys sign the digest cosign pairs with the curve through CKM_ECDSA,
 * whose raw r||s output is re-encoded as the ASN.1 DER signature every sigstore verifier expects; RSA keys
 * sign through CKM_SHA256_RSA_PKCS (and RSASSA-PSS through signRsaPss, for Notation). The public key is
 * read from the token's matching public-key object.
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import type pkcs11js from 'pkcs11js';
import { lazy, lazyRequire, loadZod, messageOf, parseJson, readUserFile, SigilError } from '../core/index.js';
import { type NistCurve, nobleCurves } from './ecdsa-digest.js';
import { describeKey } from './keys.js';
import { type Pkcs11Uri, parsePkcs11Uri, redact } from './pkcs11-uri.js';
import { hashFor, type Signer } from './signer.js';

export interface Pkcs11Signer extends Signer {
  /** Logs out and unloads the module; the signer is unusable afterwards. */
  close(): void;
  /**
   * RSA keys only: an RSASSA-PSS signature (MGF1 with the same hash, salt as long as the hash), the
   * scheme the Notary Project requires, through CKM_SHA{256,384,512}_RSA_PKCS_PSS.
   */
  signRsaPss?(data: Uint8Array, hash: 'sha256' | 'sha384' | 'sha512'): Promise<Buffer>;
}

/** pkcs11js (a native addon), loaded when a token is first opened. */
export const loadPkcs11js = lazyRequire<typeof pkcs11js>('pkcs11js');

// DER of the named-curve OIDs a token reports in CKA_EC_PARAMS, mapped to JWK and Node curve names.
const CURVE_BY_PARAMS: Record<string, { jwk: string; size: number; node: NistCurve }> = {
  '06082a8648ce3d030107': { jwk: 'P-256', size: 32, node: 'prime256v1' },
  '06052b81040022': { jwk: 'P-384', size: 48, node: 'secp384r1' },
  '06052b81040023': { jwk: 'P-521', size: 66, node: 'secp521r1' },
};

export interface Pkcs11Session {
  module: pkcs11js.PKCS11;
  session: pkcs11js.Handle;
  close(): void;
}

// A module is initialised once per process (a second C_Initialize fails), so loaded modules are shared and
// finalised when their last session closes.
const loaded = new Map<string, { module: pkcs11js.PKCS11; users: number }>();

function acquireModule(modulePath: string, where: string): pkcs11js.PKCS11 {
  const existing = loaded.get(modulePath);
  if (existing) {
    existing.users += 1;
    return existing.module;
  }
  const module = new (loadPkcs11js().PKCS11)();
  try {
    module.load(modulePath);
    module.C_Initialize();
  } catch (err) {
    throw new SigilError('BAD_KEY', `${where}: cannot load PKCS#11 module ${modulePath}: ${messageOf(err)}`);
  }
  loaded.set(modulePath, { module, users: 1 });
  return module;
}

/** Runs `fn` with the module loaded (for token-level calls that need no session). */
export function withPkcs11Module<T>(
  modulePath: string,
  where: string,
  fn: (module: pkcs11js.PKCS11) => T,
): T {
  const module = acquireModule(modulePath, where);
  try {
    return fn(module);
  } finally {
    releaseModule(modulePath);
  }
}

export function slotNumber(slot: pkcs11js.Handle): number {
  return slot.readUIntLE(0, Math.min(6, slot.length));
}

function releaseModule(modulePath: string): void {
  const entry = loaded.get(modulePath);
  if (!entry) return;
  entry.users -= 1;
  if (entry.users > 0) return;
  loaded.delete(modulePath);
  entry.module.C_Finalize();
  for (const key of loginPins.keys()) if (key.startsWith(`${modulePath}#`)) loginPins.delete(key);
}

/** Loads the module, finds the token the URI names, opens a session and logs in when a PIN is given. */
export function openPkcs11Session(uri: Pkcs11Uri, where: string, readWrite = false): Pkcs11Session {
  const module = acquireModule(uri.modulePath, where);
  let session: pkcs11js.Handle | undefined;
  try {
    const slot = findSlot(module, uri, where);
    const flags = loadPkcs11js().CKF_SERIAL_SESSION | (readWrite ? loadPkcs11js().CKF_RW_SESSION : 0);
    const opened = module.C_OpenSession(slot, flags);
    session = opened;
    if (uri.pin !== undefined) login(module, opened, uri.pin, where, `${uri.modulePath}#${slotNumber(slot)}`);
    return {
      module,
      session: opened,
      close: () => {
        module.C_CloseSession(opened);
        releaseModule(uri.modulePath);
      },
    };
  } catch (err) {
    if (session) module.C_CloseSession(session);
    releaseModule(uri.modulePath);
    throw err;
  }
}

function findSlot(module: pkcs11js.PKCS11, uri: Pkcs11Uri, where: string): pkcs11js.Handle {
  const slot = module.C_GetSlotList(true).find((candidate) => {
    if (uri.slotId !== undefined && slotNumber(candidate) !== uri.slotId) return false;
    return uri.token === undefined || module.C_GetTokenInfo(candidate).label.trimEnd() === uri.token;
  });
  if (!slot) {
    const named = uri.token !== undefined ? `token "${uri.token}"` : `slot ${uri.slotId}`;
    throw new SigilError(
      'NOT_FOUND',
      `${where}: no ${named} in ${uri.modulePath}`,
      'list them with sigil pkcs11-tool list-tokens',
    );
  }
  return slot;
}

// PKCS#11 logins are per token and process: once one session has logged in, C_Login answers "already
// logged in" whatever PIN it is given. Remembering the PIN that did log in keeps a wrong PIN a failure.
const loginPins = new Map<string, string>();

function login(
  module: pkcs11js.PKCS11,
  session: pkcs11js.Handle,
  pin: string,
  where: string,
  tokenKey: string,
): void {
  try {
    module.C_Login(session, loadPkcs11js().CKU_USER, pin);
    loginPins.set(tokenKey, pin);
  } catch (err) {
    if (err instanceof loadPkcs11js().Pkcs11Error && err.code === loadPkcs11js().CKR_PIN_INCORRECT) {
      throw new SigilError(
        'BAD_PASSWORD',
        `${where}: the token rejected the PIN`,
        'check pin-value, pin-source or COSIGN_PKCS11_PIN',
      );
    }
    if (err instanceof loadPkcs11js().Pkcs11Error && err.code === loadPkcs11js().CKR_USER_ALREADY_LOGGED_IN) {
      if (loginPins.get(tokenKey) === pin) return;
      throw new SigilError(
        'BAD_PASSWORD',
        `${where}: the PIN differs from the one this token was unlocked with`,
      );
    }
    throw new SigilError('BAD_KEY', `${where}: login failed: ${messageOf(err)}`);
  }
}

function findObject(p: Pkcs11Session, uri: Pkcs11Uri, objectClass: number): pkcs11js.Handle | null {
  const template: pkcs11js.Template = [{ type: loadPkcs11js().CKA_CLASS, value: objectClass }];
  if (uri.object !== undefined) template.push({ type: loadPkcs11js().CKA_LABEL, value: uri.object });
  if (uri.id !== undefined) template.push({ type: loadPkcs11js().CKA_ID, value: uri.id });
  return findObjects(p, template, 1)[0] ?? null;
}

/** Up to `limit` objects matching the template. */
export function findObjects(p: Pkcs11Session, template: pkcs11js.Template, limit = 1024): pkcs11js.Handle[] {
  p.module.C_FindObjectsInit(p.session, template);
  try {
    return p.module.C_FindObjects(p.session, limit);
  } finally {
    p.module.C_FindObjectsFinal(p.session);
  }
}

export function attribute(p: Pkcs11Session, handle: pkcs11js.Handle, type: number): Buffer {
  const [found] = p.module.C_GetAttributeValue(p.session, handle, [{ type }]);
  if (!(found?.value instanceof Buffer))
    throw new SigilError('BAD_KEY', `PKCS#11 attribute ${type} is missing`);
  return found.value;
}

function publicKeyOf(p: Pkcs11Session, handle: pkcs11js.Handle, where: string): KeyObject {
  const keyType = attribute(p, handle, loadPkcs11js().CKA_KEY_TYPE).readUIntLE(0, 4);
  if (keyType === loadPkcs11js().CKK_RSA) {
    const n = attribute(p, handle, loadPkcs11js().CKA_MODULUS).toString('base64url');
    const e = attribute(p, handle, loadPkcs11js().CKA_PUBLIC_EXPONENT).toString('base64url');
    return createPublicKey({ key: { kty: 'RSA', n, e }, format: 'jwk' });
  }
  if (keyType !== loadPkcs11js().CKK_EC)
    throw new SigilError('UNSUPPORTED', `${where}: only EC and RSA token keys are supported`);
  const curve = CURVE_BY_PARAMS[attribute(p, handle, loadPkcs11js().CKA_EC_PARAMS).toString('hex')];
  if (!curve) throw new SigilError('UNSUPPORTED', `${where}: the key's curve is not P-256, P-384 or P-521`);
  // CKA_EC_POINT is the uncompressed point wrapped in a DER OCTET STRING; the point is its last bytes.
  const wrapped = attribute(p, handle, loadPkcs11js().CKA_EC_POINT);
  const { size } = curve;
  const point = wrapped.subarray(wrapped.length - (1 + 2 * size));
  if (point[0] !== 4) throw new SigilError('BAD_KEY', `${where}: the token's EC point is not uncompressed`);
  const x = point.subarray(1, 1 + size).toString('base64url');
  const y = point.subarray(1 + size).toString('base64url');
  return createPublicKey({ key: { kty: 'EC', crv: curve.jwk, x, y }, format: 'jwk' });
}

/** Opens the token key `ref` names; the caller closes it when done signing. */
export function pkcs11Signer(ref: string, env: NodeJS.ProcessEnv = process.env): Pkcs11Signer {
  return tokenKeySigner(parsePkcs11Uri(ref, env), redact(ref));
}

const crypto11ConfigSchema = lazy(() => {
  const { z } = loadZod();
  return z.object({
    Path: z.string().min(1),
    TokenLabel: z.string().optional(),
    SlotNumber: z.number().int().nonnegative().optional(),
    Pin: z.string().optional(),
  });
});

/**
 * The token a crypto11 config file names (Fulcio's `--pkcs11-config-path`: JSON with Path, TokenLabel or
 * SlotNumber, Pin), as a URI without an object.
 */
export function crypto11Token(configPath: string): Pkcs11Uri {
  const parsed = crypto11ConfigSchema().safeParse(
    parseJson(readUserFile(configPath, 'PKCS#11 config'), configPath),
  );
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SigilError(
      'BAD_INPUT',
      `${configPath}: ${issue?.path.join('.') || 'config'}: ${issue?.message}`,
    );
  }
  const config = parsed.data;
  if (config.TokenLabel === undefined && config.SlotNumber === undefined) {
    throw new SigilError('BAD_INPUT', `${configPath}: give TokenLabel or SlotNumber`);
  }
  return { modulePath: config.Path, token: config.TokenLabel, slotId: config.SlotNumber, pin: config.Pin };
}

/** The key pair labelled `keyLabel` on the token of a crypto11 config (Fulcio's `--hsm-key-label`). */
export function crypto11Signer(configPath: string, keyLabel: string): Pkcs11Signer {
  return tokenKeySigner(
    { ...crypto11Token(configPath), object: keyLabel },
    `${configPath} key "${keyLabel}"`,
  );
}

function tokenKeySigner(uri: Pkcs11Uri, where: string): Pkcs11Signer {
  const p = openPkcs11Session(uri, where);
  try {
    const privateKey = findObject(p, uri, loadPkcs11js().CKO_PRIVATE_KEY);
    if (!privateKey) {
      throw new SigilError(
        'NOT_FOUND',
        `${where}: the token has no private key with that id/object`,
        uri.pin === undefined
          ? 'private keys are only visible after login: give a PIN'
          : 'list them with sigil pkcs11-tool list-keys-uris',
      );
    }
    const publicHandle = findObject(p, uri, loadPkcs11js().CKO_PUBLIC_KEY);
    if (!publicHandle)
      throw new SigilError(
        'NOT_FOUND',
        `${where}: the token has no public key object beside the private key`,
      );
    const publicKey = publicKeyOf(p, publicHandle, where);
    const hash = hashFor(publicKey) ?? 'sha256';
    const isEc = publicKey.asymmetricKeyType === 'ec';
    const curve = isEc
      ? CURVE_BY_PARAMS[attribute(p, publicHandle, loadPkcs11js().CKA_EC_PARAMS).toString('hex')]
      : undefined;
    return {
      publicKey,
      algorithm: describeKey(publicKey),
      close: p.close,
      sign: async (data) => {
        if (curve) {
          p.module.C_SignInit(p.session, { mechanism: loadPkcs11js().CKM_ECDSA }, privateKey);
          const digest = createHash(hash).update(data).digest();
          const raw = p.module.C_Sign(p.session, digest, Buffer.alloc(256));
          return Buffer.from(nobleCurves()[curve.node].Signature.fromCompact(raw).toDERRawBytes());
        }
        p.module.C_SignInit(p.session, { mechanism: loadPkcs11js().CKM_SHA256_RSA_PKCS }, privateKey);
        return Buffer.from(p.module.C_Sign(p.session, Buffer.from(data), Buffer.alloc(1024)));
      },
      ...(isEc
        ? {}
        : {
            signRsaPss: async (data: Uint8Array, hash: 'sha256' | 'sha384' | 'sha512') => {
              const pk = loadPkcs11js();
              const pss: Record<typeof hash, [number, number, number, number]> = {
                sha256: [pk.CKM_SHA256_RSA_PKCS_PSS, pk.CKM_SHA256, pk.CKG_MGF1_SHA256, 32],
                sha384: [pk.CKM_SHA384_RSA_PKCS_PSS, pk.CKM_SHA384, pk.CKG_MGF1_SHA384, 48],
                sha512: [pk.CKM_SHA512_RSA_PKCS_PSS, pk.CKM_SHA512, pk.CKG_MGF1_SHA512, 64],
              };
              const [mechanism, hashAlg, mgf, saltLen] = pss[hash];
              const parameter = { type: pk.CK_PARAMS_RSA_PSS, hashAlg, mgf, saltLen };
              p.module.C_SignInit(p.session, { mechanism, parameter }, privateKey);
              return Buffer.from(p.module.C_Sign(p.session, Buffer.from(data), Buffer.alloc(1024)));
            },
          }),
    };
  } catch (err) {
    p.close();
    throw err;
  }
}

/** The public key of the token key `ref` names (no PIN needed for public objects). */
export function pkcs11PublicKey(ref: string, env: NodeJS.ProcessEnv = process.env): KeyObject {
  const uri = parsePkcs11Uri(ref, env);
  const where = redact(ref);
  const p = openPkcs11Session(uri, where);
  try {
    const handle = findObject(p, uri, loadPkcs11js().CKO_PUBLIC_KEY);
    if (!handle)
      throw new SigilError('NOT_FOUND', `${where}: the token has no public key with that id/object`);
    return publicKeyOf(p, handle, where);
  } finally {
    p.close();
  }
}
