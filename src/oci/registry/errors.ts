/**
 * Distribution-spec error responses. Every failure a client can act on leaves the server as
 * `{"errors":[{"code","message","detail"}]}` with the status the spec names for it, so clients written
 * against any registry (docker, containerd, cosign, oras) understand ours.
 */
export type RegistryErrorCode =
  | 'BLOB_UNKNOWN'
  | 'BLOB_UPLOAD_INVALID'
  | 'BLOB_UPLOAD_UNKNOWN'
  | 'DIGEST_INVALID'
  | 'MANIFEST_BLOB_UNKNOWN'
  | 'MANIFEST_INVALID'
  | 'MANIFEST_UNKNOWN'
  | 'NAME_INVALID'
  | 'NAME_UNKNOWN'
  | 'SIZE_INVALID'
  | 'UNAUTHORIZED'
  | 'DENIED'
  | 'UNSUPPORTED'
  | 'TOOMANYREQUESTS'
  // Not in the spec's table; distribution answers server faults with it, and so do we.
  | 'UNKNOWN';

export interface RegistryErrorBody {
  errors: { code: RegistryErrorCode; message: string; detail?: unknown }[];
}

export class RegistryHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: RegistryErrorCode,
    message: string,
    readonly detail?: unknown,
    /** Response headers the error needs, such as `Range` on a 416 or `WWW-Authenticate` on a 401. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  body(): RegistryErrorBody {
    const detail = this.detail === undefined ? {} : { detail: this.detail };
    return { errors: [{ code: this.code, message: this.message, ...detail }] };
  }
}
