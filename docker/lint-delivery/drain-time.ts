/**
 * Seconds the API may need after SIGTERM before it exits: it stops accepting, lets the requests
 * in flight finish (a request may take REQUEST_TIMEOUT_MS, 30 s by default, to arrive in full),
 * then flushes and closes its prediction log files. The one figure every grace period is held
 * against: Compose's `stop_grace_period` and Watchtower's `--stop-timeout` (compose.check.ts), and
 * Kubernetes' `terminationGracePeriodSeconds` beyond the preStop pause (kubernetes.rules.ts).
 * docs/operations.md quotes it; change them together.
 */
export const DRAIN_SECONDS = 30;
