/** Log search: one field, one value, a page of entries newest first, and the link to the next page. */
import { useState } from 'preact/hooks';
import { type EntrySummary, getJson } from '../api.js';
import { useLoad } from '../hooks.js';
import { link, navigate, type Route } from '../router.js';
import { Show, Time } from '../ui.js';

const FIELDS: [string, string, string][] = [
  ['hash', 'Artifact hash', 'sha256:… or 64 hex digits'],
  [
    'identity',
    'Identity (email or URI)',
    'alice@example.com or https://github.com/org/app/.github/workflows/release.yml@refs/heads/main',
  ],
  ['issuer', 'OIDC issuer', 'https://token.actions.githubusercontent.com'],
  ['publicKey', 'Public key', 'PEM, or the hex SHA-256 of its DER'],
  ['logIndex', 'Log index', '42'],
  ['uuid', 'Entry UUID', '80 or 64 hex digits'],
];

export function SearchPage(props: { route: Route }) {
  const field = props.route.query.get('field') ?? 'identity';
  const value = props.route.query.get('value') ?? '';
  const before = props.route.query.get('before') ?? undefined;
  const [draftField, setDraftField] = useState(field);
  const [draftValue, setDraftValue] = useState(value);
  const hint = FIELDS.find(([f]) => f === draftField)?.[2] ?? '';
  return (
    <section aria-labelledby="search-title">
      <h1 id="search-title">Search the log</h1>
      <form
        class="search"
        aria-label="Log search"
        onSubmit={(event) => {
          event.preventDefault();
          navigate(link(['search'], { field: draftField, value: draftValue.trim() }));
        }}
      >
        <label>
          Search by
          <select
            name="field"
            value={draftField}
            onChange={(e) => setDraftField((e.target as HTMLSelectElement).value)}
          >
            {FIELDS.map(([f, label]) => (
              <option key={f} value={f}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <div class="grow">
          <label for="search-value">Value</label>
          {draftField === 'publicKey' ? (
            <textarea
              id="search-value"
              name="value"
              rows={3}
              placeholder={hint}
              value={draftValue}
              onInput={(e) => setDraftValue((e.target as HTMLTextAreaElement).value)}
            />
          ) : (
            <input
              id="search-value"
              name="value"
              type="search"
              placeholder={hint}
              value={draftValue}
              onInput={(e) => setDraftValue((e.target as HTMLInputElement).value)}
            />
          )}
        </div>
        <button type="submit">Search</button>
      </form>
      {value && <Results field={field} value={value} before={before} />}
    </section>
  );
}

function Results(props: { field: string; value: string; before: string | undefined }) {
  const { field, value, before } = props;
  const loaded = useLoad(
    () =>
      getJson<{ entries: EntrySummary[]; next?: number }>('log/search', { field, value, before, limit: 25 }),
    `${field}\n${value}\n${before}`,
  );
  return (
    <Show loaded={loaded}>
      {(page) =>
        page.entries.length === 0 ? (
          <p role="status">
            No entries{before ? ' on this page' : ''} for that {field}.
          </p>
        ) : (
          <>
            <table class="results">
              <caption>
                Entries for {field} “{value}”{before ? ` below index ${before}` : ''}, newest first
              </caption>
              <thead>
                <tr>
                  <th scope="col">Log index</th>
                  <th scope="col">Kind</th>
                  <th scope="col">Integrated</th>
                  <th scope="col">UUID</th>
                </tr>
              </thead>
              <tbody>
                {page.entries.map((e) => (
                  <tr key={e.uuid}>
                    <td>
                      <a href={link(['entry', e.uuid])}>{e.logIndex}</a>
                    </td>
                    <td>
                      {e.kind} {e.apiVersion}
                    </td>
                    <td>{e.integratedTime > 0 ? <Time seconds={e.integratedTime} /> : '—'}</td>
                    <td>
                      <a href={link(['entry', e.uuid])} class="mono">
                        {e.uuid.slice(0, 24)}…
                      </a>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            {page.next !== undefined && (
              <p>
                <a href={link(['search'], { field, value, before: page.next })}>Next page (older entries)</a>
              </p>
            )}
          </>
        )
      }
    </Show>
  );
}
