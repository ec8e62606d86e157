import { useEffect, useState } from 'preact/hooks';

export type Loaded<T> = { state: 'loading' } | { state: 'error'; error: string } | { state: 'ok'; value: T };

/** Runs `load` when `key` changes; a later answer replaces an earlier one, never the other way round. */
export function useLoad<T>(load: () => Promise<T>, key: string): Loaded<T> {
  const [loaded, setLoaded] = useState<Loaded<T>>({ state: 'loading' });
  useEffect(() => {
    let current = true;
    setLoaded({ state: 'loading' });
    load().then(
      (value) => current && setLoaded({ state: 'ok', value }),
      (err: Error) => current && setLoaded({ state: 'error', error: err.message }),
    );
    return () => {
      current = false;
    };
  }, [key]);
  return loaded;
}
