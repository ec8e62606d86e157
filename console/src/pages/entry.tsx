/**
 * One log entry: the verdict of the browser's own checks first (leaf hash, inclusion proof, signed
 * checkpoint, SET), then what the entry says: kind, time, the signer's certificate decoded, signatures.
 */
import { getJson } from '../api.js';
import { fromBase64, fromUtf8 } from '../bytes.js';
import { type EntryContent, entryContent, type Verifier } from '../entry-content.js';
import { useLoad } from '../hooks.js';
import { logKey } from '../log-key.js';
import { link } from '../router.js';
import { Copyable, Fields, Show, Time } from '../ui.js';
import { type RekorEntry, type Verification, verifyEntry } from '../verify.js';

interface Loaded {
  uuid: string;
  entry: RekorEntry;
  verification: Verification;
  body: Record<string, unknown> | undefined;
  content: EntryContent | undefined;
}

async function loadEntry(uuid: string): Promise<Loaded> {
  const answer = await getJson<Record<string, RekorEntry>>(`log/entries/${encodeURIComponent(uuid)}`);
  const [found, entry] = Object.entries(answer)[0] ?? [];
  if (!found || !entry) throw new Error(`the log returned no entry for ${uuid}`);
  let verification: Verification;
  try {
    verification = await verifyEntry(uuid, entry, await logKey());
  } catch (err) {
    verification = { verified: false, line: `not verified: ${(err as Error).message}`, checks: [] };
  }
  let body: Record<string, unknown> | undefined;
  try {
    body = JSON.parse(fromUtf8(fromBase64(entry.body))) as Record<string, unknown>;
  } catch {
    body = undefined;
  }
  return { uuid: found, entry, verification, body, content: body ? await entryContent(body) : undefined };
}

export function EntryPage(props: { uuid: string }) {
  const loaded = useLoad(() => loadEntry(props.uuid), props.uuid);
  return (
    <section aria-labelledby="entry-title">
      <h1 id="entry-title">Log entry</h1>
      <Show loaded={loaded}>{(value) => <Entry {...value} />}</Show>
    </section>
  );
}

function Entry({ uuid, entry, verification, body, content }: Loaded) {
  return (
    <>
      <p class={`verdict ${verification.verified ? 'ok' : 'bad'}`} role="status" data-testid="verdict">
        {verification.verified ? '✔ ' : '✘ '}
        {verification.line}
      </p>
      <ul class="checks" aria-label="Checks made in this browser">
        {verification.checks.map((c) => (
          <li key={c.name} class={c.ok ? 'ok' : 'bad'}>
            <strong>{c.name}</strong>: {c.detail}
          </li>
        ))}
      </ul>
      <h2>Entry</h2>
      <Fields
        rows={[
          ['Kind', body ? `${String(body.kind)} ${String(body.apiVersion)}` : 'unreadable body'],
          ['Log index', entry.logIndex],
          [
            'Integrated',
            entry.integratedTime > 0 ? (
              <Time seconds={entry.integratedTime} />
            ) : (
              'no integrated time (Rekor v2: see the timestamp authority)'
            ),
          ],
          ['UUID', <Copyable text={uuid} />],
          ['Log ID', <Copyable text={entry.logID} />],
          [
            'Hash',
            content?.hash && (
              <>
                {content.hash.algorithm}: <Copyable text={content.hash.value} />{' '}
                {content.hash.algorithm === 'sha256' && (
                  <a href={link(['search'], { field: 'hash', value: `sha256:${content.hash.value}` })}>
                    other entries
                  </a>
                )}
              </>
            ),
          ],
        ]}
      />
      {content?.verifiers.map((v, i) => (
        <Signer key={i} verifier={v} integratedTime={entry.integratedTime} />
      ))}
      {content && content.signatures.length > 0 && (
        <>
          <h2>Signature{content.signatures.length > 1 ? 's' : ''}</h2>
          {content.signatures.map((s) => (
            <p key={s}>
              <Copyable text={s} />
            </p>
          ))}
        </>
      )}
      <details>
        <summary>Entry body (canonical JSON)</summary>
        <pre>{body ? JSON.stringify(body, null, 2) : entry.body}</pre>
      </details>
    </>
  );
}

function Signer(props: { verifier: Verifier; integratedTime: number }) {
  const { certificate, keyFingerprint, error } = props.verifier;
  if (error) return <p class="error">Signer: {error}</p>;
  if (keyFingerprint)
    return (
      <>
        <h2>Signer: public key</h2>
        <Fields
          rows={[
            [
              'Key (SHA-256 of DER)',
              <>
                <Copyable text={keyFingerprint} />{' '}
                <a href={link(['search'], { field: 'publicKey', value: keyFingerprint })}>
                  entries by this key
                </a>
              </>,
            ],
          ]}
        />
      </>
    );
  if (!certificate) return null;
  const at = props.integratedTime * 1000;
  const validAtIntegration =
    props.integratedTime > 0
      ? at >= certificate.notBefore.getTime() && at <= certificate.notAfter.getTime()
      : undefined;
  const identity = certificate.sans.map((s) => s.value).join(', ');
  return (
    <>
      <h2>Signer: certificate</h2>
      <Fields
        rows={[
          [
            'Identity',
            <>
              {identity}{' '}
              {certificate.sans[0] && (
                <a href={link(['search'], { field: 'identity', value: certificate.sans[0].value })}>
                  entries by this identity
                </a>
              )}
            </>,
          ],
          [
            'OIDC issuer',
            certificate.oidcIssuer && (
              <>
                {certificate.oidcIssuer}{' '}
                <a href={link(['search'], { field: 'issuer', value: certificate.oidcIssuer })}>
                  entries from this issuer
                </a>
              </>
            ),
          ],
          ...certificate.sigstore
            .filter((e) => e.number !== 1 && e.number !== 8)
            .map((e): [string, string] => [e.name, e.value]),
          ['Valid from', certificate.notBefore.toISOString()],
          ['Valid until', certificate.notAfter.toISOString()],
          [
            'At integration',
            validAtIntegration === undefined
              ? undefined
              : validAtIntegration
                ? 'the certificate was valid'
                : 'the certificate was NOT valid',
          ],
          ['Certificate issuer', certificate.issuer],
          ['Serial', <Copyable text={certificate.serial} />],
        ]}
      />
    </>
  );
}
