import { Logger } from '@nestjs/common';
import cluster, { Worker } from 'node:cluster';
import { AggregatorRegistry, Registry } from 'prom-client';
import {
  isWorkerMessage,
  MetricsJson,
  PeerEvent,
  PeerOutcome,
  PrimaryMessage,
} from '../cluster/cluster.messages';

// A worker drains like a single process: its requests in flight (up to REQUEST_TIMEOUT_MS), then
// its prediction log. The same 30 s the delivery allows a process (DRAIN_SECONDS in
// docker/lint-delivery/drain-time.ts); change them together.
const STOP_GRACE_MS = 30_000;
// A worker that died is replaced after this pause, so a crash at start does not spin.
const RESTART_DELAY_MS = 1_000;
// This many unexpected exits within the window: something is wrong that a restart will not fix.
const CRASH_LIMIT = 5;
const CRASH_WINDOW_MS = 60_000;
// A peer that has not reloaded (or refreshed its gauges) by then is reported as failed.
const PEER_TIMEOUT_MS = 30_000;
// A worker whose metrics have not arrived by then fails the scrape (the next one tries again).
const METRICS_TIMEOUT_MS = 5_000;

interface Member {
  worker: Worker;
  pid: number;
  /** Serving: its app is created and listens on the port. */
  listening: boolean;
  /** Why it could not start, as it said before exiting. */
  startFailure?: string;
}

const describeExit = (code: number | null, signal: string | null) =>
  signal ? `killed by ${signal}` : `exit code ${code}`;

// Not unref'd: while every worker is down, this timer is what keeps the primary alive.
const delay = (ms: number) => new Promise((done) => setTimeout(done, ms));

/**
 * The primary's side of WORKERS > 1: forks the workers one after another (each once the previous
 * listens, so that only the first trains a model when there is none), replaces one that dies,
 * stops them all on request, and relays what they ask of each other: the merged metrics of all,
 * and the events every worker must follow (a reload, an evaluation).
 */
export class WorkerPool {
  private readonly members = new Map<number, Member>();
  /** The primary's own metrics (its ingestion), merged with the workers'. */
  private own: Registry | undefined;
  private readonly metricsReplies = new Map<number, (metrics: MetricsJson) => void>();
  private readonly peerReplies = new Map<number, (outcome: PeerOutcome) => void>();
  private nextPeerId = 0;
  private readonly crashes: number[] = [];
  private refilling = false;
  private stopped: Promise<boolean> | undefined;
  private giveUp: (reason: string) => void = () => undefined;

  constructor(
    private readonly size: number,
    private readonly logger: Logger,
  ) {
    cluster.on('message', (worker, message) => this.received(worker, message));
    cluster.on('exit', (worker, code, signal) => this.exited(worker, code, signal));
  }

  /** Whether `stop` has been called. */
  get stopping(): boolean {
    return this.stopped !== undefined;
  }

  /** The pids of the workers now. */
  get pids(): number[] {
    return [...this.members.values()].map((m) => m.pid);
  }

  /** Merges the primary's own registry into the metrics the workers answer `/metrics` with. */
  mergeMetrics(registry: Registry): void {
    this.own = registry;
  }

  /** Called once when workers keep dying (`CRASH_LIMIT` within `CRASH_WINDOW_MS`). */
  onGiveUp(listener: (reason: string) => void): void {
    this.giveUp = listener;
  }

  /**
   * Forks the workers one after another. Resolves once all listen (or when `stop` was called
   * meanwhile); rejects with the reason of the first that could not start.
   */
  async start(): Promise<void> {
    for (let i = 0; i < this.size && !this.stopping; i++) {
      const failure = await this.fork();
      if (failure !== undefined && !this.stopping) throw new Error(failure);
    }
  }

  /**
   * SIGTERM to every worker; each drains as a single process does. A worker still running
   * `STOP_GRACE_MS` later is killed. Resolves with whether every worker exited with code 0.
   */
  stop(): Promise<boolean> {
    this.stopped ??= Promise.all([...this.members.values()].map((m) => this.stopOne(m))).then(
      (clean) => clean.every(Boolean),
    );
    return this.stopped;
  }

  /** Forks one worker; resolves once it listens, or with why it could not start. */
  private fork(): Promise<string | undefined> {
    const worker = cluster.fork();
    const pid = worker.process.pid ?? 0;
    const member: Member = { worker, pid, listening: false };
    this.members.set(worker.id, member);
    // A signal to a process that has just gone, or a send on a closed channel.
    worker.on('error', (error: Error) => this.logger.warn(`Worker ${pid}: ${error.message}`));
    return new Promise((done) => {
      const listening = () => {
        worker.off('exit', exited);
        member.listening = true;
        this.logger.log(`Worker ${pid} listening`);
        done(undefined);
      };
      const exited = (code: number | null, signal: string | null) => {
        worker.off('listening', listening);
        done(
          member.startFailure ??
            `worker ${pid} exited before it listened (${describeExit(code, signal)}); the lines above say why`,
        );
      };
      worker.once('listening', listening);
      worker.once('exit', exited);
    });
  }

  private stopOne({ worker, pid, listening }: Member): Promise<boolean> {
    return new Promise((done) => {
      let killed = false;
      const timer = setTimeout(() => {
        killed = true;
        this.logger.error(
          `Worker ${pid} had not stopped ${STOP_GRACE_MS / 1000} s after SIGTERM: killed (its requests in flight and its unwritten prediction-log lines are lost)`,
        );
        worker.process.kill('SIGKILL');
      }, STOP_GRACE_MS);
      worker.once('exit', (code: number | null, signal: string | null) => {
        clearTimeout(timer);
        // A worker still starting has nothing to drain: a signal that ends it is a clean stop.
        const clean =
          code === 0 || (!listening && !killed && (signal === 'SIGTERM' || signal === 'SIGINT'));
        if (clean) this.logger.log(`Worker ${pid} stopped`);
        else if (!killed) {
          this.logger.error(`Worker ${pid} did not stop cleanly (${describeExit(code, signal)})`);
        }
        done(clean);
      });
      worker.process.kill('SIGTERM');
    });
  }

  private exited(worker: Worker, code: number | null, signal: string | null): void {
    const member = this.members.get(worker.id);
    this.members.delete(worker.id);
    // `stop` accounts for the exits it caused, `fork` for a worker that never listened.
    if (!member?.listening || this.stopping) return;
    this.crashed(`Worker ${member.pid} exited unexpectedly (${describeExit(code, signal)})`);
    void this.refill();
  }

  /** Counts an unexpected exit; gives up when they come too often. */
  private crashed(what: string): void {
    const now = Date.now();
    this.crashes.push(now);
    while (this.crashes[0] <= now - CRASH_WINDOW_MS) this.crashes.shift();
    if (this.crashes.length < CRASH_LIMIT) {
      this.logger.error(`${what}: a replacement starts in ${RESTART_DELAY_MS / 1000} s`);
      return;
    }
    this.logger.error(what);
    const reason =
      `${CRASH_LIMIT} workers exited unexpectedly within ${CRASH_WINDOW_MS / 1000} s (the last: ${what}). ` +
      'The service has stopped: find the cause in the lines above (memory, a model that fails, the database), fix it and start it again.';
    void this.stop();
    this.giveUp(reason);
  }

  /** Forks replacements, one at a time, until the pool is whole again. */
  private async refill(): Promise<void> {
    if (this.refilling) return;
    this.refilling = true;
    try {
      while (!this.stopping && this.members.size < this.size) {
        await delay(RESTART_DELAY_MS);
        if (this.stopping) return;
        const failure = await this.fork();
        if (failure !== undefined && !this.stopping) {
          this.crashed(`A replacement worker could not start: ${failure}`);
        }
      }
    } finally {
      this.refilling = false;
    }
  }

  private received(worker: Worker, message: unknown): void {
    if (!isWorkerMessage(message)) return;
    switch (message.type) {
      case 'mle:metrics':
        void this.clusterMetrics().then(
          (text) => send(worker, { type: 'mle:metrics-reply', id: message.id, text }),
          (error: Error) =>
            send(worker, { type: 'mle:metrics-reply', id: message.id, error: error.message }),
        );
        return;
      case 'mle:tell-peers':
        void this.tellPeers(worker, message.event).then((outcomes) =>
          send(worker, { type: 'mle:peers-reply', id: message.id, outcomes }),
        );
        return;
      case 'mle:peer-done':
        this.peerReplies.get(message.id)?.(message.outcome);
        return;
      case 'mle:metrics-json-reply':
        this.metricsReplies.get(message.id)?.(message.metrics);
        return;
      case 'mle:start-failed': {
        const member = this.members.get(worker.id);
        if (member) member.startFailure = message.reason;
        return;
      }
    }
  }

  /**
   * Every listening worker's registry and the primary's own, merged: counters and histograms
   * summed, gauges by their aggregator (`MleMetrics`).
   */
  private async clusterMetrics(): Promise<string> {
    // Listening workers only: one still starting has no channel to answer on yet.
    const workers = [...this.members.values()].filter((m) => m.listening && m.worker.isConnected());
    const all = await Promise.all(workers.map((member) => this.metricsOf(member)));
    if (this.own) all.push(await this.own.getMetricsAsJSON());
    return AggregatorRegistry.aggregate(all).metrics();
  }

  private metricsOf({ worker, pid }: Member): Promise<MetricsJson> {
    const id = ++this.nextPeerId;
    return new Promise((done, fail) => {
      const timer = setTimeout(() => {
        this.metricsReplies.delete(id);
        fail(new Error(`worker ${pid} did not send its metrics within ${METRICS_TIMEOUT_MS} ms`));
      }, METRICS_TIMEOUT_MS);
      this.metricsReplies.set(id, (metrics) => {
        clearTimeout(timer);
        this.metricsReplies.delete(id);
        done(metrics);
      });
      send(worker, { type: 'mle:metrics-json', id });
    });
  }

  /**
   * Hands `event` to every serving worker but `from`. A worker still starting is left out: it
   * loads the current version and the stored gauges as it starts.
   */
  private async tellPeers(from: Worker, event: PeerEvent): Promise<PeerOutcome[]> {
    const peers = [...this.members.values()].filter(
      (m) => m.listening && m.worker !== from && m.worker.isConnected(),
    );
    const outcomes = await Promise.all(peers.map((peer) => this.ask(peer, event)));
    for (const { pid, ok, detail } of outcomes) {
      if (ok)
        this.logger.log(
          `Worker ${pid} followed worker ${from.process.pid} (${event.kind}): ${detail}`,
        );
    }
    return outcomes;
  }

  private ask({ worker, pid }: Member, event: PeerEvent): Promise<PeerOutcome> {
    const id = ++this.nextPeerId;
    return new Promise((done) => {
      const finish = (outcome: PeerOutcome) => {
        clearTimeout(timer);
        worker.off('exit', exited);
        this.peerReplies.delete(id);
        done(outcome);
      };
      // Its replacement starts from the current version and the stored gauges.
      const exited = () => finish({ pid, ok: true, detail: 'exited meanwhile' });
      const timer = setTimeout(
        () =>
          finish({ pid, ok: false, detail: `did not answer within ${PEER_TIMEOUT_MS / 1000} s` }),
        PEER_TIMEOUT_MS,
      );
      worker.once('exit', exited);
      this.peerReplies.set(id, finish);
      send(worker, { type: 'mle:peer-event', id, event });
    });
  }
}

function send(worker: Worker, message: PrimaryMessage): void {
  // With a callback, a worker that has gone is no 'error' event; its exit is handled elsewhere.
  if (worker.isConnected()) worker.send(message, undefined, () => undefined);
}
