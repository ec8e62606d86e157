/**
 * Reloads policies when their directory changes, without a restart: changes are debounced, the new set
 * is loaded completely before it is swapped in, and the generation is bumped so cached decisions of the
 * old set are never served. A set that fails to load keeps the previous one and records why.
 */
import { type FSWatcher, watch } from 'node:fs';
import { messageOf } from '../core/index.js';

export interface PolicyState<T> {
  policies: T;
  generation: number;
  /** Why the last reload failed; cleared by the next good one. */
  error?: string;
}

export interface PolicyWatcherOptions<T> {
  directory: string;
  load: () => Promise<T>;
  debounceMs?: number;
  onReload?: (outcome: { ok: boolean; generation: number; error?: string }) => void;
}

export class PolicyWatcher<T> {
  private current: PolicyState<T>;
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private reloading: Promise<void> = Promise.resolve();

  private constructor(
    private readonly options: PolicyWatcherOptions<T>,
    initial: T,
  ) {
    this.current = { policies: initial, generation: 1 };
  }

  /** Loads the first set (its errors propagate: a webhook with no policies must not start) and watches. */
  static async start<T>(options: PolicyWatcherOptions<T>): Promise<PolicyWatcher<T>> {
    const instance = new PolicyWatcher(options, await options.load());
    instance.watcher = watch(options.directory, { recursive: true }, () => instance.schedule());
    return instance;
  }

  get state(): PolicyState<T> {
    return this.current;
  }

  /** Reloads now; resolves once the new set (or the recorded error) is in place. */
  reload(): Promise<void> {
    this.reloading = this.reloading.then(async () => {
      try {
        const policies = await this.options.load();
        this.current = { policies, generation: this.current.generation + 1 };
        this.options.onReload?.({ ok: true, generation: this.current.generation });
      } catch (err) {
        this.current = { ...this.current, error: messageOf(err) };
        this.options.onReload?.({ ok: false, generation: this.current.generation, error: messageOf(err) });
      }
    });
    return this.reloading;
  }

  close(): void {
    clearTimeout(this.timer);
    this.watcher?.close();
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.reload(), this.options.debounceMs ?? 250);
  }
}
