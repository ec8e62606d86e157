export { type DecisionCache, MemoryDecisionCache } from './cache.js';
export {
  DEFAULT_DECISION_CAPACITY,
  type DecisionCounts,
  type DecisionFilter,
  DecisionLog,
  type DecisionRecord,
} from './decision-log.js';
export {
  type AdmissionEndpoint,
  type AdmissionEvaluator,
  AdmissionHandler,
  DEFAULT_TIMEOUT_MS,
  type DecisionEvent,
  type FailurePolicy,
  parseTimeoutParameter,
} from './handler.js';
export { type AdmissionMetrics, createAdmissionMetrics } from './metrics.js';
export { cachedNamespaceLabels } from './namespace-labels.js';
export { type NamespaceLabels, policyEvaluator } from './policy-evaluator.js';
export { type PolicyState, PolicyWatcher, type PolicyWatcherOptions } from './policy-watcher.js';
export { RedisDecisionCache } from './redis-cache.js';
export { ReportWriter, type ReportWriterOptions } from './report-writer.js';
export {
  type AdmissionDecision,
  type AdmissionRequestV1,
  type AdmissionReviewResponse,
  buildAdmissionResponse,
  type JsonPatchOperation,
  parseAdmissionReview,
} from './review.js';
export {
  type AdmissionServer,
  type AdmissionServerOptions,
  createAdmissionServer,
  readTlsDirectory,
} from './server.js';
export {
  caBundleOf,
  createWebhookTls,
  DEFAULT_WEBHOOK_CERT_DAYS,
  tlsSecretManifest,
  type WebhookTls,
  webhookDnsNames,
} from './tls.js';
