/**
 * Azure Key Vault and Google Cloud KMS have no server that runs here (Lowkey Vault's app is not on Maven
 * Central; Google ships no KMS emulator), so their providers are tested against these: the documented
 * exchanges of each REST API (Key Vault keys API 7.4 with the Microsoft identity platform's client
 * credentials grant; Cloud KMS v1 with a service account's JWT bearer grant), written from the API
 * references. They are strict rather than accommodating: a request with another path, query, header or
 * body field than the reference documents is answered 400, a missing or wrong token 401, and the keys are
 * real (the signatures they return verify, or not, like the cloud's). This is the gap docs/kms.md names:
 * what these servers check is the reference as read here, not the clouds themselves.
 *
 * This module holds what both share (the strict HTTP plumbing, the P-256 keys); the exchanges themselves
 * are kms-reference-azure.ts and kms-reference-gcp.ts.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { p256 } from '@noble/curves/p256';

export interface Reply {
  status: number;
  body: unknown;
}
export type Handler = (method: string, url: URL, headers: IncomingMessage['headers'], body: string) => Reply;

export const reply = (status: number, body: unknown): Reply => ({ status, body });

export function serve(handler: Handler, tls?: { key: string; cert: string }) {
  const listener = (request: IncomingMessage, response: ServerResponse) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      let answer: Reply;
      try {
        answer = handler(
          request.method ?? '',
          new URL(request.url ?? '/', 'http://x'),
          request.headers,
          body,
        );
      } catch (err) {
        answer = reply(400, { error: { message: (err as Error).message } });
      }
      response.writeHead(answer.status, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify(answer.body));
    });
  };
  return tls ? createHttpsServer(tls, listener) : createHttpServer(listener);
}

export async function listen(server: ReturnType<typeof serve>): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** The JSON body, refusing any field the reference does not list for the call. */
export function jsonBody(body: string, allowed: string[]): Record<string, unknown> {
  const parsed = JSON.parse(body || '{}') as Record<string, unknown>;
  const extra = Object.keys(parsed).filter((name) => !allowed.includes(name));
  if (extra.length > 0) throw new Error(`unknown fields ${extra.join(', ')}`);
  return parsed;
}

export function formBody(headers: IncomingMessage['headers'], body: string): URLSearchParams {
  if (headers['content-type'] !== 'application/x-www-form-urlencoded')
    throw new Error('token requests are forms');
  return new URLSearchParams(body);
}

export interface EcKey {
  privateKey: Uint8Array;
  publicKey: KeyObject;
  enabled: boolean;
}

export function newP256Key(): EcKey {
  const privateKey = p256.utils.randomPrivateKey();
  const point = p256.getPublicKey(privateKey, false);
  const publicKey = createPublicKey({
    key: { kty: 'EC', crv: 'P-256', x: b64url(point.subarray(1, 33)), y: b64url(point.subarray(33)) },
    format: 'jwk',
  });
  return { privateKey, publicKey, enabled: true };
}
export const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');

export interface ReferenceServer {
  /** Environment a client needs (credentials, endpoints, the test CA for HTTPS). */
  env: Record<string, string>;
  /** The vault host (Azure) to put in URIs. */
  host: string;
  disable(keyName: string): void;
  /** Adds a key that cannot sign (Azure: an `oct` key; GCP: an ENCRYPT_DECRYPT key). */
  addNonSigningKey(keyName: string): void;
  close(): Promise<void>;
}
