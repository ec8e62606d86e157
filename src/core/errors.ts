/**
 * SigilError is the one error type that crosses module boundaries. Its `code` is stable (scripts and
 * the CLI's exit codes depend on it); its message says what was wrong and where; `hint` says what to do.
 */
export type ErrorCode =
  | 'BAD_INPUT'
  | 'BAD_REFERENCE'
  | 'BAD_PEM'
  | 'BAD_KEY'
  | 'BAD_PASSWORD'
  | 'BAD_JSON'
  | 'BAD_MANIFEST'
  | 'BAD_BUNDLE'
  | 'BAD_TOKEN'
  | 'BAD_CERTIFICATE'
  | 'DIGEST_MISMATCH'
  | 'SIGNATURE_MISMATCH'
  | 'NO_SIGNATURES'
  | 'PAYLOAD_MISMATCH'
  | 'ANNOTATION_MISMATCH'
  | 'IDENTITY_MISMATCH'
  | 'POLICY_VIOLATION'
  | 'TLOG_ENTRY_MISMATCH'
  | 'REGISTRY_UNAUTHORIZED'
  | 'REGISTRY_DENIED'
  | 'REGISTRY_NOT_FOUND'
  | 'REGISTRY_ERROR'
  | 'REGISTRY_UNREACHABLE'
  | 'SERVICE_UNREACHABLE'
  | 'SERVICE_ERROR'
  | 'NOT_FOUND'
  | 'FILE_EXISTS'
  | 'IO_ERROR'
  | 'TIMEOUT'
  | 'TUF_ERROR'
  | 'UNSUPPORTED'
  | 'MISSING_MODULE';

export class SigilError extends Error {
  override readonly name = 'SigilError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isSigilError(err: unknown, code?: ErrorCode): err is SigilError {
  return err instanceof SigilError && (code === undefined || err.code === code);
}

/** The message of any thrown value, for wrapping foreign errors into a SigilError. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
