import { MetricsRegistry } from '@app/mle/metrics';
import { Injectable, OnModuleDestroy } from '@nestjs/common';
import cluster from 'node:cluster';
import {
  isPrimaryMessage,
  PeerEvent,
  PeerOutcome,
  PrimaryMessage,
  WorkerMessage,
} from './cluster.messages';

// The primary gives up on a worker's metrics after 5 s and on a peer after 30 s
// (WorkerPool); a little longer here, so that its answer, not a guess, is what arrives.
const METRICS_TIMEOUT_MS = 10_000;
const PEERS_TIMEOUT_MS = 35_000;

type Question = { type: 'mle:metrics' } | { type: 'mle:tell-peers'; event: PeerEvent };
type Reply = Extract<PrimaryMessage, { type: 'mle:metrics-reply' | 'mle:peers-reply' }>;

/** Does what another worker told this one; resolves with what it did. */
export type PeerEventHandler = (event: PeerEvent) => Promise<string>;

/**
 * This worker's line to the primary process when the service runs several workers
 * (WORKERS > 1, node:cluster). In a single process `enabled` is false and nothing is sent.
 */
@Injectable()
export class ClusterChannel implements OnModuleDestroy {
  readonly enabled = cluster.isWorker && typeof process.send === 'function';
  private nextId = 0;
  private readonly waiting = new Map<number, (reply: Reply) => void>();
  private handler: PeerEventHandler | undefined;
  private readonly listener = (message: unknown) => this.received(message);

  constructor(private readonly registry: MetricsRegistry) {
    if (this.enabled) process.on('message', this.listener);
  }

  onModuleDestroy(): void {
    process.off('message', this.listener);
  }

  /** The Prometheus text of every worker, merged by the primary. */
  async clusterMetrics(): Promise<string> {
    const reply = await this.ask({ type: 'mle:metrics' }, METRICS_TIMEOUT_MS, 'the metrics');
    if (reply.type !== 'mle:metrics-reply') throw new Error(`unexpected answer ${reply.type}`);
    if ('error' in reply) throw new Error(reply.error);
    return reply.text;
  }

  /** Tells every other worker that is serving; resolves once each has done it (or failed). */
  async tellPeers(event: PeerEvent): Promise<PeerOutcome[]> {
    const reply = await this.ask(
      { type: 'mle:tell-peers', event },
      PEERS_TIMEOUT_MS,
      `the other workers (${event.kind})`,
    );
    if (reply.type !== 'mle:peers-reply') throw new Error(`unexpected answer ${reply.type}`);
    return reply.outcomes;
  }

  /** What to do when another worker tells this one something. */
  onPeerEvent(handler: PeerEventHandler): void {
    this.handler = handler;
  }

  private ask(question: Question, timeoutMs: number, what: string): Promise<Reply> {
    if (!this.enabled) return Promise.reject(new Error('this process is not a cluster worker'));
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`the primary process did not answer for ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(id, (reply) => {
        clearTimeout(timer);
        this.waiting.delete(id);
        resolve(reply);
      });
      this.send({ ...question, id }, (error) => {
        if (!error) return;
        clearTimeout(timer);
        this.waiting.delete(id);
        reject(new Error(`the primary process cannot be reached: ${error.message}`));
      });
    });
  }

  private received(message: unknown): void {
    if (!isPrimaryMessage(message)) return;
    switch (message.type) {
      case 'mle:metrics-reply':
      case 'mle:peers-reply':
        this.waiting.get(message.id)?.(message);
        return;
      case 'mle:peer-event':
        void this.take(message.id, message.event);
        return;
      case 'mle:metrics-json':
        void this.registry
          .getMetricsAsJSON()
          .then((metrics) =>
            this.send({ type: 'mle:metrics-json-reply', id: message.id, metrics }),
          );
        return;
    }
  }

  private async take(id: number, event: PeerEvent): Promise<void> {
    let outcome: PeerOutcome;
    try {
      if (!this.handler) throw new Error('this worker is not serving yet');
      outcome = { pid: process.pid, ok: true, detail: await this.handler(event) };
    } catch (error) {
      outcome = {
        pid: process.pid,
        ok: false,
        detail: error instanceof Error ? error.message : String(error),
      };
    }
    this.send({ type: 'mle:peer-done', id, outcome });
  }

  private send(message: WorkerMessage, done: (error: Error | null) => void = () => {}): void {
    // With a callback, a closed channel is reported to it rather than thrown as an 'error' event.
    process.send?.(message, undefined, undefined, done);
  }
}
