/** Small shared pieces: loading and error lines, times, key/value lists, a bar chart with a text twin. */
import type { ComponentChildren } from 'preact';
import type { Loaded } from './hooks.js';

export function Show<T>(props: { loaded: Loaded<T>; children: (value: T) => ComponentChildren }) {
  const { loaded } = props;
  if (loaded.state === 'loading') return <p aria-live="polite">Loading…</p>;
  if (loaded.state === 'error')
    return (
      <p class="error" role="alert">
        {loaded.error}
      </p>
    );
  return <>{props.children(loaded.value)}</>;
}

export function Time(props: { seconds: number }) {
  const date = new Date(props.seconds * 1000);
  return (
    <time dateTime={date.toISOString()}>{date.toISOString().replace('T', ' ').replace('.000Z', ' UTC')}</time>
  );
}

export function Fields(props: { rows: [string, ComponentChildren][] }) {
  return (
    <dl class="fields">
      {props.rows
        .filter(([, v]) => v !== undefined && v !== null && v !== '')
        .map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>{v}</dd>
          </div>
        ))}
    </dl>
  );
}

/** Counts per minute as bars; the same numbers are in the label and a visually hidden table. */
export function Bars(props: {
  label: string;
  series: { minute: number; values: { name: string; count: number }[] }[];
}) {
  const max = Math.max(1, ...props.series.map((s) => s.values.reduce((n, v) => n + v.count, 0)));
  const width = 600;
  const height = 80;
  const bar = props.series.length > 0 ? width / Math.max(props.series.length, 30) : width;
  const total = props.series.reduce((n, s) => n + s.values.reduce((m, v) => m + v.count, 0), 0);
  return (
    <figure class="bars">
      <svg
        viewBox={`0 0 ${width} ${height}`}
        role="img"
        aria-label={`${props.label}: ${total} in ${props.series.length} minutes`}
      >
        {props.series.map((s, i) => {
          let y = height;
          return s.values.map((v) => {
            const h = (v.count / max) * (height - 4);
            y -= h;
            return (
              <rect
                key={`${s.minute}-${v.name}`}
                class={`bar-${v.name}`}
                x={i * bar + 1}
                y={y}
                width={Math.max(bar - 2, 1)}
                height={h}
              >
                <title>{`${new Date(s.minute * 60_000).toISOString().slice(11, 16)} UTC: ${v.count} ${v.name}`}</title>
              </rect>
            );
          });
        })}
      </svg>
      <figcaption>
        {props.label} (last {props.series.length} active minutes, {total} in all)
      </figcaption>
    </figure>
  );
}

export function Copyable(props: { text: string }) {
  return <code class="wrap">{props.text}</code>;
}
