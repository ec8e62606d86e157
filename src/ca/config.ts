/**
 * The CA's issuer configuration in Fulcio's own config format, so an existing Fulcio config file works:
 * `{"OIDCIssuers": {"<url>": {"IssuerURL", "ClientID", "Type", ...}}}`.
 */
import { isRecord, parseJson, SigilError } from '../core/index.js';
import { ISSUER_TYPES, type IssuerType } from './profile.js';
import type { IssuerConfig } from './token-verifier.js';

export function parseFulcioConfig(text: string | Uint8Array, where: string): IssuerConfig[] {
  const json = parseJson(text, where);
  const issuers = isRecord(json) ? json.OIDCIssuers : undefined;
  if (!isRecord(issuers)) throw new SigilError('BAD_JSON', `${where}: expected {"OIDCIssuers": {...}}`);
  return Object.entries(issuers).map(([url, entry]) => {
    const at = `${where}: OIDCIssuers["${url}"]`;
    if (!isRecord(entry)) throw new SigilError('BAD_JSON', `${at} must be an object`);
    const type = entry.Type;
    if (typeof type !== 'string' || !ISSUER_TYPES.includes(type as IssuerType)) {
      throw new SigilError(
        'UNSUPPORTED',
        `${at}.Type "${String(type)}" is not supported (supported: ${ISSUER_TYPES.join(', ')})`,
      );
    }
    const clientId = entry.ClientID;
    if (typeof clientId !== 'string' || clientId === '') {
      throw new SigilError(
        'BAD_JSON',
        `${at}.ClientID must be a non-empty string (the audience tokens carry)`,
      );
    }
    const issuerUrl = typeof entry.IssuerURL === 'string' ? entry.IssuerURL : url;
    return { issuerUrl, clientId, type: type as IssuerType };
  });
}
