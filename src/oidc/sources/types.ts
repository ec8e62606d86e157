/** Shapes shared by the identity-token sources. */

/** What every source returns: the raw token and where it came from, in words a person reads in logs. */
export interface TokenResult {
  token: string;
  source: string;
}

/** Environment variables (process.env or a test's own map). */
export type Env = Readonly<Record<string, string | undefined>>;

/** Where the interactive flows write what the person must see (a URL, a code); the CLI wires it to stderr. */
export type Log = (line: string) => void;

/** The public-good Sigstore OAuth issuer (Dex), as cosign's default `--oidc-issuer`. */
export const DEFAULT_OIDC_ISSUER = 'https://oauth2.sigstore.dev/auth';
/** cosign's default `--oidc-client-id`. */
export const DEFAULT_OIDC_CLIENT_ID = 'sigstore';
/** The audience Sigstore CAs expect in CI tokens. */
export const SIGSTORE_AUDIENCE = 'sigstore';
/** Scopes cosign asks for: the email claim becomes the certificate's SAN. */
export const OIDC_SCOPES = 'openid email';
/** Per HTTP call to an identity provider. */
export const DEFAULT_HTTP_TIMEOUT_MS = 30_000;
