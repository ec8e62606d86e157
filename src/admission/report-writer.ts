/**
 * PolicyReports written to the cluster off the admission path: reviews hand reports over and return at
 * once; reports wait a moment so that the several reviews of one resource (mutate, validate, retries) end in
 * one write of the latest, then each is applied. A failed write is reported to `onError` and dropped: the
 * next review of the resource writes it again, and admission never waits on or fails because of reports.
 */
import { mapLimited } from '../core/index.js';
import type { PolicyReport } from '../policy/index.js';

export interface ReportWriterOptions {
  /** Writes one report (server-side apply through the Kubernetes API). */
  write: (report: PolicyReport) => Promise<unknown>;
  /** How long reports gather before they are written. */
  delayMs?: number;
  /** Reports written at once. */
  concurrency?: number;
  onError?: (report: PolicyReport, err: unknown) => void;
}

const DEFAULT_DELAY_MS = 2000;

export class ReportWriter {
  /** The latest report per resource, by kind, namespace and name. */
  private readonly pending = new Map<string, PolicyReport>();
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly options: ReportWriterOptions) {}

  submit(report: PolicyReport): void {
    const { kind, metadata } = report;
    this.pending.set(`${kind}/${metadata.namespace ?? ''}/${metadata.name}`, report);
    if (this.timer) return;
    this.timer = setTimeout(() => void this.flush(), this.options.delayMs ?? DEFAULT_DELAY_MS);
    this.timer.unref(); // pending reports do not keep the process alive; close() writes them
  }

  get size(): number {
    return this.pending.size;
  }

  /** Writes what is pending now; resolves when every write has ended (written or reported). */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = [...this.pending.values()];
    this.pending.clear();
    // Batches go one after another, so an older report never lands after a newer one of the same resource.
    this.writing = this.writing.then(async () => {
      await mapLimited(batch, this.options.concurrency ?? 4, async (report) => {
        try {
          await this.options.write(report);
        } catch (err) {
          this.options.onError?.(report, err);
        }
      });
    });
    return this.writing;
  }

  close(): Promise<void> {
    return this.flush();
  }
}
