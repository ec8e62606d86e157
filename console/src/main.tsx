/** The console's shell: a skip link, the navigation, and the page the hash route names. */
import { render } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { type ConsoleConfig, getJson } from './api.js';
import { useLoad } from './hooks.js';
import { AdmissionsPage, DecisionPage } from './pages/admissions.js';
import { EntryPage } from './pages/entry.js';
import { HealthPage } from './pages/health.js';
import { ImagePage } from './pages/image.js';
import { SearchPage } from './pages/search.js';
import { link, type Route, useRoute } from './router.js';

function Page(props: { route: Route }) {
  const [first, second] = props.route.path;
  if (first === 'entry' && second) return <EntryPage uuid={second} />;
  if (first === 'health') return <HealthPage />;
  if (first === 'image') {
    const reference = props.route.query.get('ref') ?? '';
    return <ImagePage key={reference} reference={reference} />;
  }
  if (first === 'admissions' && second) return <DecisionPage id={second} />;
  // A new query remounts the page, so its form shows the query rather than what was typed before.
  const query = props.route.query.toString();
  if (first === 'admissions') return <AdmissionsPage key={query} route={props.route} />;
  return <SearchPage key={query} route={props.route} />;
}

function App() {
  const route = useRoute();
  const config = useLoad(() => getJson<ConsoleConfig>('config'), 'config');
  const main = useRef<HTMLElement>(null);
  const section = route.path[0] ?? 'search';
  // A new page moves focus to its content, so keyboard and screen-reader users land where it changed.
  useEffect(() => main.current?.focus(), [route.path.join('/')]);
  const item = (path: string, label: string, shown = true) =>
    shown && (
      <li>
        <a href={link([path])} aria-current={section === path ? 'page' : undefined}>
          {label}
        </a>
      </li>
    );
  const configured = config.state === 'ok' ? config.value : undefined;
  return (
    <>
      <button type="button" class="skip" onClick={() => main.current?.focus()}>
        Skip to content
      </button>
      <header>
        <span class="brand">sigil console</span>
        <nav aria-label="Sections">
          <ul>
            {item('search', 'Log search')}
            {item('health', 'Log health')}
            {item('image', 'Images', configured?.registry !== null)}
            {item('admissions', 'Admissions', configured?.admission !== false)}
          </ul>
        </nav>
        <span class="readonly">read-only</span>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        <Page route={route} />
      </main>
    </>
  );
}

render(<App />, document.getElementById('app') as HTMLElement);
