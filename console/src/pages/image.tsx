/**
 * An image's supply chain: digest, platforms, who signed it (cosign and Notation), its attestations by
 * predicate type, referrers, and what `sigil verify` would say with a chosen key or identity.
 */
import { useState } from 'preact/hooks';
import { getJson } from '../api.js';
import { useLoad } from '../hooks.js';
import { link, navigate } from '../router.js';
import { Fields, Show, Time } from '../ui.js';
import { VerifyForm } from './image-verify.js';

interface Signer {
  identity?: string;
  issuer?: string;
  githubWorkflowRepository?: string;
  githubWorkflowRef?: string;
  githubWorkflowSha?: string;
  logIndex?: number;
  integratedTime?: number;
}

type Summary =
  | {
      kind: 'sbom';
      format: string;
      packages: { name: string; version?: string; purl?: string; license?: string }[];
    }
  | { kind: 'vulnerabilities'; scanner?: string; bySeverity: Record<string, number> }
  | { kind: 'provenance'; provenance: Record<string, string> }
  | { kind: 'other' };

interface NotationSignature {
  digest: string;
  format: 'JWS' | 'COSE';
  signingScheme: string;
  signatureAlgorithm: string;
  signingTime: string;
  expiry?: string;
  subject: string;
  issuer: string;
  certificateExpiry: string;
  timestamp?: string;
}

interface SupplyChain {
  reference: string;
  digest: string;
  mediaType: string;
  platforms: { platform: string; digest: string }[];
  signatures: Signer[];
  attestations: (Signer & { predicateType: string; summary: Summary })[];
  notation: NotationSignature[];
  referrers: { kind: string; reference: string }[];
  problems: string[];
}

export function ImagePage(props: { reference: string }) {
  const [draft, setDraft] = useState(props.reference);
  return (
    <section aria-labelledby="image-title">
      <h1 id="image-title">Image supply chain</h1>
      <form
        class="search"
        onSubmit={(e) => {
          e.preventDefault();
          navigate(link(['image'], { ref: draft.trim() }));
        }}
      >
        <label class="grow">
          Image reference
          <input
            name="ref"
            value={draft}
            placeholder="org/app:v1 or org/app@sha256:…"
            onInput={(e) => setDraft((e.target as HTMLInputElement).value)}
          />
        </label>
        <button type="submit">Show</button>
      </form>
      {props.reference && <Chain reference={props.reference} />}
    </section>
  );
}

function Chain(props: { reference: string }) {
  const loaded = useLoad(() => getJson<SupplyChain>('image', { ref: props.reference }), props.reference);
  return (
    <Show loaded={loaded}>
      {(chain) => (
        <>
          <Fields
            rows={[
              ['Reference', chain.reference],
              ['Digest', <code class="wrap">{chain.digest}</code>],
              ['Media type', chain.mediaType],
              [
                'Platforms',
                chain.platforms.length > 0
                  ? chain.platforms.map((p) => p.platform).join(', ')
                  : 'single platform',
              ],
            ]}
          />
          <h2>Signatures ({chain.signatures.length})</h2>
          {chain.signatures.length === 0 ? (
            <p class="warn">No signatures: this image is unsigned.</p>
          ) : (
            <SignerTable signers={chain.signatures} />
          )}
          {chain.notation.length > 0 && <NotationTable signatures={chain.notation} />}
          <VerifyForm reference={chain.reference} />
          <h2>Attestations ({chain.attestations.length})</h2>
          {chain.attestations.length === 0 && (
            <p class="warn">No attestations (no SBOM, provenance or scan attached).</p>
          )}
          {chain.attestations.map((a, i) => (
            <article key={i} class="attestation" aria-label={a.predicateType}>
              <h3>{a.predicateType}</h3>
              <SignerTable signers={[a]} />
              <PredicateView summary={a.summary} />
            </article>
          ))}
          {chain.referrers.length > 0 && (
            <>
              <h2>OCI referrers</h2>
              <ul>
                {chain.referrers.map((r) => (
                  <li key={r.reference}>
                    {r.kind}: <code>{r.reference}</code>
                  </li>
                ))}
              </ul>
            </>
          )}
          {chain.problems.length > 0 && (
            <ul class="error" aria-label="Parts that could not be read">
              {chain.problems.map((p) => (
                <li key={p}>{p}</li>
              ))}
            </ul>
          )}
        </>
      )}
    </Show>
  );
}

function SignerTable(props: { signers: Signer[] }) {
  return (
    <table>
      <thead>
        <tr>
          <th scope="col">Signed by</th>
          <th scope="col">OIDC issuer</th>
          <th scope="col">Workflow</th>
          <th scope="col">Logged</th>
        </tr>
      </thead>
      <tbody>
        {props.signers.map((s, i) => (
          <tr key={i}>
            <td>{s.identity ?? 'a key (no certificate)'}</td>
            <td>{s.issuer ?? '—'}</td>
            <td>
              {s.githubWorkflowRepository
                ? `${s.githubWorkflowRepository} ${s.githubWorkflowRef ?? ''} ${s.githubWorkflowSha?.slice(0, 12) ?? ''}`
                : '—'}
            </td>
            <td>
              {s.logIndex !== undefined ? (
                <>
                  <a href={link(['search'], { field: 'logIndex', value: s.logIndex })}>index {s.logIndex}</a>
                  {s.integratedTime ? (
                    <>
                      {' at '}
                      <Time seconds={s.integratedTime} />
                    </>
                  ) : null}
                </>
              ) : (
                'not in a log'
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const isoTime = (iso: string) => <Time seconds={Date.parse(iso) / 1000} />;

function NotationTable(props: { signatures: NotationSignature[] }) {
  return (
    <>
      <h2 id="notation-title">Notary Project signatures ({props.signatures.length})</h2>
      <p>Read, not verified: a trust policy decides (sigil notation verify).</p>
      <table aria-labelledby="notation-title">
        <thead>
          <tr>
            <th scope="col">Envelope</th>
            <th scope="col">Signing scheme</th>
            <th scope="col">Signed</th>
            <th scope="col">Expires</th>
            <th scope="col">Certificate subject</th>
            <th scope="col">Certificate issuer</th>
            <th scope="col">Timestamp</th>
          </tr>
        </thead>
        <tbody>
          {props.signatures.map((s) => (
            <tr key={s.digest} title={s.digest}>
              <td>
                {s.format} {s.signatureAlgorithm}
              </td>
              <td>{s.signingScheme}</td>
              <td>{isoTime(s.signingTime)}</td>
              <td>{s.expiry ? isoTime(s.expiry) : 'never'}</td>
              <td>{s.subject}</td>
              <td>{s.issuer}</td>
              <td>{s.timestamp ?? 'none'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function PredicateView(props: { summary: Summary }) {
  const { summary } = props;
  const [filter, setFilter] = useState('');
  if (summary.kind === 'provenance')
    return (
      <Fields
        rows={[
          ['Builder', summary.provenance.builder],
          ['Build type', summary.provenance.buildType],
          ['Source', summary.provenance.source],
          ['Commit', summary.provenance.commit],
          ['Invocation', summary.provenance.invocation],
        ]}
      />
    );
  if (summary.kind === 'vulnerabilities') {
    const severities = Object.entries(summary.bySeverity);
    return severities.length === 0 ? (
      <p>No vulnerabilities reported{summary.scanner ? ` by ${summary.scanner}` : ''}.</p>
    ) : (
      <Fields rows={severities.map(([s, n]): [string, number] => [s, n])} />
    );
  }
  if (summary.kind === 'sbom') {
    const shown = summary.packages.filter((p) =>
      `${p.name} ${p.version ?? ''} ${p.purl ?? ''}`.toLowerCase().includes(filter.toLowerCase()),
    );
    return (
      <>
        <label>
          Filter {summary.packages.length} {summary.format} packages{' '}
          <input
            type="search"
            value={filter}
            onInput={(e) => setFilter((e.target as HTMLInputElement).value)}
          />
        </label>
        <table>
          <thead>
            <tr>
              <th scope="col">Package</th>
              <th scope="col">Version</th>
              <th scope="col">License</th>
              <th scope="col">purl</th>
            </tr>
          </thead>
          <tbody>
            {shown.slice(0, 500).map((p, i) => (
              <tr key={i}>
                <td>{p.name}</td>
                <td>{p.version ?? ''}</td>
                <td>{p.license ?? ''}</td>
                <td class="mono">{p.purl ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </>
    );
  }
  return null;
}
