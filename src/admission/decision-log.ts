/**
 * The webhook's recent decisions, for the console: a bounded ring in memory (the newest N answered
 * reviews, per replica), and the latest PolicyReport per resource. Read-only to the outside; nothing here
 * is persisted or shared, the PolicyReports in the cluster being the durable record.
 */
import type { PolicyReport, PolicyResult } from '../policy/index.js';
import { metadataOf, resourceImages } from '../policy/index.js';
import type { DecisionEvent } from './handler.js';

export interface DecisionRecord {
  /** The review's uid: the decision's deep link. */
  id: string;
  time: string;
  namespace: string;
  kind: string;
  name: string;
  operation: string;
  endpoint: string;
  allowed: boolean;
  /** Why it was denied (Kyverno's layout), or the failurePolicy's reason. */
  message?: string;
  warnings: string[];
  images: string[];
  results: PolicyResult[];
  latencyMs: number;
}

export interface DecisionFilter {
  namespace?: string;
  policy?: string;
  result?: 'allowed' | 'denied';
  limit?: number;
}

/** Decisions counted per minute (Unix seconds / 60). */
export interface DecisionCounts {
  minute: number;
  allowed: number;
  denied: number;
}

export const DEFAULT_DECISION_CAPACITY = 1000;
const REPORT_CAPACITY = 1000;

export class DecisionLog {
  private readonly ring: DecisionRecord[] = [];
  private next = 0;
  private readonly reports = new Map<string, PolicyReport>();

  constructor(private readonly capacity = DEFAULT_DECISION_CAPACITY) {}

  record(event: DecisionEvent, now = new Date()): void {
    const { request, decision } = event;
    const meta = metadataOf(request.object);
    const record: DecisionRecord = {
      id: request.uid,
      time: now.toISOString(),
      namespace: request.namespace ?? '',
      kind: request.kind.kind,
      name: request.name || meta.name || '',
      operation: request.operation,
      endpoint: event.endpoint,
      allowed: decision.allowed,
      ...(decision.message ? { message: decision.message } : {}),
      warnings: decision.warnings,
      images: resourceImages(request.kind.kind, request.object).map((i) => i.image),
      results: decision.results ?? [],
      latencyMs: Math.round(event.latencyMs * 1000) / 1000,
    };
    if (this.ring.length < this.capacity) this.ring.push(record);
    else this.ring[this.next] = record;
    this.next = (this.next + 1) % this.capacity;
  }

  /** The latest report of each resource (by kind, namespace and name), the oldest going when full. */
  report(report: PolicyReport): void {
    const key = `${report.kind}/${report.metadata.namespace ?? ''}/${report.metadata.name}`;
    this.reports.delete(key);
    this.reports.set(key, report);
    if (this.reports.size > REPORT_CAPACITY) this.reports.delete(this.reports.keys().next().value as string);
  }

  /** Newest first. */
  decisions(filter: DecisionFilter = {}): DecisionRecord[] {
    const newestFirst = [...this.ring.slice(0, this.next).reverse(), ...this.ring.slice(this.next).reverse()];
    return newestFirst
      .filter(
        (d) =>
          (filter.namespace === undefined || d.namespace === filter.namespace) &&
          (filter.result === undefined || d.allowed === (filter.result === 'allowed')) &&
          (filter.policy === undefined || d.results.some((r) => r.policy === filter.policy)),
      )
      .slice(0, filter.limit ?? this.capacity);
  }

  decision(id: string): DecisionRecord | undefined {
    return this.ring.find((d) => d.id === id);
  }

  /** Per-minute counts of the decisions that pass `filter`, oldest minute first. */
  counts(filter: DecisionFilter = {}): DecisionCounts[] {
    const byMinute = new Map<number, DecisionCounts>();
    for (const d of this.decisions({ ...filter, limit: this.capacity })) {
      const minute = Math.floor(Date.parse(d.time) / 60_000);
      const bucket = byMinute.get(minute) ?? { minute, allowed: 0, denied: 0 };
      if (d.allowed) bucket.allowed++;
      else bucket.denied++;
      byMinute.set(minute, bucket);
    }
    return [...byMinute.values()].sort((a, b) => a.minute - b.minute);
  }

  policyReports(namespace?: string): PolicyReport[] {
    return [...this.reports.values()]
      .reverse()
      .filter((r) => namespace === undefined || (r.metadata.namespace ?? '') === namespace);
  }
}
