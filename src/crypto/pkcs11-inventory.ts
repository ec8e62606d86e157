/**
 * What a PKCS#11 module offers, for `sigil pkcs11-tool` (cosign's pkcs11-tool): the tokens in its slots,
 * and the private keys on one token with the `pkcs11:` URI that `--key` takes for each.
 */
import {
  attribute,
  findObjects,
  loadPkcs11js,
  openPkcs11Session,
  slotNumber,
  withPkcs11Module,
} from './pkcs11.js';
import { formatPkcs11Uri } from './pkcs11-uri.js';

export interface TokenSlot {
  slot: number;
  label: string;
  manufacturer: string;
  model: string;
  serialNumber: string;
}

export interface TokenKey {
  label?: string;
  /** CKA_ID, hex. */
  id?: string;
  uri: string;
}

/** The tokens present in the module's slots. */
export function listTokens(modulePath: string): TokenSlot[] {
  return withPkcs11Module(modulePath, 'pkcs11-tool', (module) =>
    module.C_GetSlotList(true).map((slot) => {
      const info = module.C_GetTokenInfo(slot);
      return {
        slot: slotNumber(slot),
        label: info.label.trimEnd(),
        manufacturer: info.manufacturerID.trimEnd(),
        model: info.model.trimEnd(),
        serialNumber: info.serialNumber.trimEnd(),
      };
    }),
  );
}

/**
 * The private keys on the token in `slotId` (they are only visible after login, hence the PIN). As cosign
 * does, keys with neither label nor ID are left out: no URI could name them.
 */
export function listKeyUris(modulePath: string, slotId: number, pin: string | undefined): TokenKey[] {
  const where = `slot ${slotId} of ${modulePath}`;
  const session = openPkcs11Session({ modulePath, slotId, pin }, where);
  try {
    const token = session.module
      .C_GetTokenInfo(session.module.C_GetSessionInfo(session.session).slotID)
      .label.trimEnd();
    const { CKA_CLASS, CKA_ID, CKA_LABEL, CKO_PRIVATE_KEY } = loadPkcs11js();
    return findObjects(session, [{ type: CKA_CLASS, value: CKO_PRIVATE_KEY }]).flatMap((handle) => {
      const id = attribute(session, handle, CKA_ID);
      const label = attribute(session, handle, CKA_LABEL).toString('utf8');
      if (id.length === 0 && label === '') return [];
      const uri = formatPkcs11Uri({
        modulePath,
        token,
        slotId,
        ...(id.length > 0 ? { id } : {}),
        ...(label !== '' ? { object: label } : {}),
        pin,
      });
      return [
        { ...(label !== '' ? { label } : {}), ...(id.length > 0 ? { id: id.toString('hex') } : {}), uri },
      ];
    });
  } finally {
    session.close();
  }
}
