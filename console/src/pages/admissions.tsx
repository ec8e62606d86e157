/** The webhook's recent decisions, filtered by namespace, policy and result, counted per minute; one decision explained. */
import { useState } from 'preact/hooks';
import { type Decision, getJson } from '../api.js';
import { useLoad } from '../hooks.js';
import { link, navigate, type Route } from '../router.js';
import { Bars, Fields, Show } from '../ui.js';

export function AdmissionsPage(props: { route: Route }) {
  const namespace = props.route.query.get('namespace') ?? '';
  const policy = props.route.query.get('policy') ?? '';
  const result = props.route.query.get('result') ?? '';
  const [draft, setDraft] = useState({ namespace, policy, result });
  const loaded = useLoad(
    () =>
      getJson<{ decisions: Decision[]; counts: { minute: number; allowed: number; denied: number }[] }>(
        'admissions',
        { namespace, policy, result, limit: 200 },
      ),
    `${namespace}\n${policy}\n${result}`,
  );
  return (
    <section aria-labelledby="admissions-title">
      <h1 id="admissions-title">Admissions</h1>
      <form
        class="search"
        onSubmit={(e) => {
          e.preventDefault();
          navigate(link(['admissions'], draft));
        }}
      >
        {(['namespace', 'policy'] as const).map((name) => (
          <label key={name}>
            {name === 'namespace' ? 'Namespace' : 'Policy'}
            <input
              name={name}
              value={draft[name]}
              onInput={(e) => setDraft({ ...draft, [name]: (e.target as HTMLInputElement).value })}
            />
          </label>
        ))}
        <label>
          Result
          <select
            name="result"
            value={draft.result}
            onChange={(e) => setDraft({ ...draft, result: (e.target as HTMLSelectElement).value })}
          >
            <option value="">any</option>
            <option value="allowed">allowed</option>
            <option value="denied">denied</option>
          </select>
        </label>
        <button type="submit">Filter</button>
      </form>
      <Show loaded={loaded}>
        {({ decisions, counts }) => (
          <>
            <Bars
              label="Decisions per minute (allowed, denied)"
              series={counts.map((c) => ({
                minute: c.minute,
                values: [
                  { name: 'allowed', count: c.allowed },
                  { name: 'denied', count: c.denied },
                ],
              }))}
            />
            <PolicyReports namespace={namespace} />
            {decisions.length === 0 ? (
              <p role="status">No recent decisions match.</p>
            ) : (
              <table class="results">
                <caption>{decisions.length} recent decisions, newest first</caption>
                <thead>
                  <tr>
                    <th scope="col">Time</th>
                    <th scope="col">Result</th>
                    <th scope="col">Resource</th>
                    <th scope="col">Images</th>
                    <th scope="col">Policies</th>
                  </tr>
                </thead>
                <tbody>
                  {decisions.map((d) => (
                    <tr key={`${d.id}-${d.endpoint}`}>
                      <td>
                        <a href={link(['admissions', d.id])}>{d.time.replace('T', ' ').slice(0, 19)}</a>
                      </td>
                      <td class={d.allowed ? 'ok' : 'bad'}>{d.allowed ? 'allowed' : 'denied'}</td>
                      <td>
                        {d.kind} {d.namespace ? `${d.namespace}/` : ''}
                        {d.name}
                      </td>
                      <td class="mono">{d.images.join(', ')}</td>
                      <td>{[...new Set(d.results.map((r) => r.policy))].join(', ')}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </>
        )}
      </Show>
    </section>
  );
}

interface PolicyReport {
  kind: string;
  metadata: { name: string; namespace?: string };
  scope?: { kind: string; name: string; namespace?: string };
  summary: Record<string, number>;
  results: { policy: string; rule: string; result: string }[];
}

/** The latest PolicyReport of each resource the webhook reviewed, with its pass/fail summary. */
function PolicyReports(props: { namespace: string }) {
  const loaded = useLoad(
    () => getJson<{ reports: PolicyReport[] }>('policyreports', { namespace: props.namespace }),
    `reports ${props.namespace}`,
  );
  return (
    <details>
      <summary>PolicyReports</summary>
      <Show loaded={loaded}>
        {({ reports }) => (
          <table>
            <caption>{reports.length} PolicyReports, latest per resource</caption>
            <thead>
              <tr>
                <th scope="col">Resource</th>
                <th scope="col">Report</th>
                <th scope="col">pass</th>
                <th scope="col">fail</th>
                <th scope="col">Policies</th>
              </tr>
            </thead>
            <tbody>
              {reports.map((r) => (
                <tr key={`${r.metadata.namespace}/${r.metadata.name}`}>
                  <td>
                    {r.scope
                      ? `${r.scope.kind} ${r.scope.namespace ? `${r.scope.namespace}/` : ''}${r.scope.name}`
                      : '—'}
                  </td>
                  <td>
                    {r.kind} {r.metadata.namespace ? `${r.metadata.namespace}/` : ''}
                    {r.metadata.name}
                  </td>
                  <td class="ok">{r.summary.pass ?? 0}</td>
                  <td class={(r.summary.fail ?? 0) > 0 ? 'bad' : ''}>{r.summary.fail ?? 0}</td>
                  <td>{[...new Set(r.results.map((x) => x.policy))].join(', ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Show>
    </details>
  );
}

export function DecisionPage(props: { id: string }) {
  const loaded = useLoad(() => getJson<Decision>(`admissions/${encodeURIComponent(props.id)}`), props.id);
  return (
    <section aria-labelledby="decision-title">
      <h1 id="decision-title">Admission decision</h1>
      <Show loaded={loaded}>
        {(d) => (
          <>
            <p class={`verdict ${d.allowed ? 'ok' : 'bad'}`} role="status" data-testid="decision-verdict">
              {d.allowed ? '✔ allowed' : '✘ denied'}: {d.kind} {d.namespace ? `${d.namespace}/` : ''}
              {d.name}
            </p>
            {d.message && (
              <>
                <h2>Why</h2>
                <pre class="wrap" data-testid="decision-message">
                  {d.message}
                </pre>
              </>
            )}
            <Fields
              rows={[
                ['Time', d.time],
                ['Operation', `${d.operation} (${d.endpoint} webhook)`],
                ['Images', d.images.join(', ')],
                ['Review uid', d.id],
                ['Latency', `${d.latencyMs} ms`],
                ['Warnings', d.warnings.join('; ')],
              ]}
            />
            <h2>Rules</h2>
            <table>
              <thead>
                <tr>
                  <th scope="col">Policy</th>
                  <th scope="col">Rule</th>
                  <th scope="col">Result</th>
                  <th scope="col">Image</th>
                  <th scope="col">Message</th>
                </tr>
              </thead>
              <tbody>
                {d.results.map((r, i) => (
                  <tr key={i}>
                    <td>
                      <a href={link(['admissions'], { policy: r.policy })}>{r.policy}</a>
                    </td>
                    <td>{r.rule}</td>
                    <td
                      class={
                        r.result === 'pass' ? 'ok' : r.result === 'fail' || r.result === 'error' ? 'bad' : ''
                      }
                    >
                      {r.result}
                    </td>
                    <td>{r.image ? <a href={link(['image'], { ref: r.image })}>{r.image}</a> : ''}</td>
                    <td>{r.message}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </Show>
    </section>
  );
}
