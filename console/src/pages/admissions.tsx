/** The webhook's recent decisions, filtered by namespace, policy and result, counted per minute; one decision explained. */
import { useState } from 'preact/hooks';
import { type Decision, getJson } from '../api';
import { useLoad } from '../hooks';
import { link, navigate, type Route } from '../router';
import { Bars, Fields, Show } from '../ui';

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
        <label>
          Namespace
          <input
            name="namespace"
            value={draft.namespace}
            onInput={(e) => setDraft({ ...draft, namespace: (e.target as HTMLInputElement).value })}
          />
        </label>
        <label>
          Policy
          <input
            name="policy"
            value={draft.policy}
            onInput={(e) => setDraft({ ...draft, policy: (e.target as HTMLInputElement).value })}
          />
        </label>
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
