import type { MetricObjectWithValues, MetricValue } from 'prom-client';

// What the primary process and its workers (WORKERS > 1) say to each other over the cluster's
// IPC channel. Every type starts with `mle:`.

/** A registry's metrics as prom-client's `getMetricsAsJSON` gives them, to be merged. */
export type MetricsJson = MetricObjectWithValues<MetricValue<string>>[];

/** Something one worker did that every other worker must do as well. */
export type PeerEvent =
  | { kind: 'model-reloaded'; model: string }
  /** An evaluation was stored: the others refresh their evaluation gauges from the database. */
  | { kind: 'evaluated' };

/** How one worker took a peer event: `detail` says what it did, or why it failed. */
export interface PeerOutcome {
  pid: number;
  ok: boolean;
  detail: string;
}

/** Worker to primary. */
export type WorkerMessage =
  /** The metrics of every worker, merged (answered by `metrics-reply`). */
  | { type: 'mle:metrics'; id: number }
  /** Tell every other worker (answered by `peers-reply` once each has taken it). */
  | { type: 'mle:tell-peers'; id: number; event: PeerEvent }
  /** The answer to a `peer-event`. */
  | { type: 'mle:peer-done'; id: number; outcome: PeerOutcome }
  /** Sent before the worker exits because it could not start; the reason is already masked. */
  | { type: 'mle:start-failed'; reason: string }
  /** The answer to a `metrics-json`: this worker's registry. */
  | { type: 'mle:metrics-json-reply'; id: number; metrics: MetricsJson };

/** Primary to worker. */
export type PrimaryMessage =
  | { type: 'mle:metrics-reply'; id: number; text: string }
  | { type: 'mle:metrics-reply'; id: number; error: string }
  | { type: 'mle:peers-reply'; id: number; outcomes: PeerOutcome[] }
  | { type: 'mle:peer-event'; id: number; event: PeerEvent }
  /** The primary gathers every worker's registry, to merge them with its own. */
  | { type: 'mle:metrics-json'; id: number };

const WORKER_TYPES = new Set<string>([
  'mle:metrics',
  'mle:tell-peers',
  'mle:peer-done',
  'mle:start-failed',
  'mle:metrics-json-reply',
] satisfies WorkerMessage['type'][]);
const PRIMARY_TYPES = new Set<string>([
  'mle:metrics-reply',
  'mle:peers-reply',
  'mle:peer-event',
  'mle:metrics-json',
] satisfies PrimaryMessage['type'][]);

const typeOf = (message: unknown): unknown =>
  typeof message === 'object' && message !== null ? Reflect.get(message, 'type') : undefined;

export function isWorkerMessage(message: unknown): message is WorkerMessage {
  const type = typeOf(message);
  return typeof type === 'string' && WORKER_TYPES.has(type);
}

export function isPrimaryMessage(message: unknown): message is PrimaryMessage {
  const type = typeOf(message);
  return typeof type === 'string' && PRIMARY_TYPES.has(type);
}
