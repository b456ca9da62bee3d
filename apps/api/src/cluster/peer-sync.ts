import { RetrainingEvents, RetrainingMonitor } from '@app/mle/monitoring';
import { ModelRegistry } from '@app/mle/registry';
import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { ClusterChannel } from './cluster.channel';
import { PeerEvent } from './cluster.messages';

/**
 * Keeps the workers of one service (WORKERS > 1) in step: a model reloaded through one is
 * reloaded by all, and an evaluation run by one refreshes the evaluation gauges of all. In a
 * single process it does nothing.
 */
@Injectable()
export class PeerSync implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Workers');
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly channel: ClusterChannel,
    private readonly registry: ModelRegistry,
    private readonly monitor: RetrainingMonitor,
    private readonly events: RetrainingEvents,
  ) {}

  onModuleInit(): void {
    if (!this.channel.enabled) return;
    this.channel.onPeerEvent((event) => this.apply(event));
    this.unsubscribe = this.events.onEvaluation(() => void this.evaluated());
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
  }

  /**
   * After this worker reloaded `model`: every other worker reloads it. Resolves with what went
   * wrong, one sentence per worker that could not (it keeps serving the version it had).
   */
  async modelReloaded(model: string): Promise<string[]> {
    const failures = await this.tell({ kind: 'model-reloaded', model });
    for (const failure of failures)
      this.logger.error(`${model} was not reloaded everywhere: ${failure}`);
    return failures;
  }

  private async evaluated(): Promise<void> {
    for (const failure of await this.tell({ kind: 'evaluated' })) {
      this.logger.warn(
        `The evaluation gauges were not refreshed everywhere (they are at the next evaluation or restart): ${failure}`,
      );
    }
  }

  private async tell(event: PeerEvent): Promise<string[]> {
    if (!this.channel.enabled) return [];
    try {
      const outcomes = await this.channel.tellPeers(event);
      return outcomes.filter((o) => !o.ok).map((o) => `worker ${o.pid}: ${o.detail}`);
    } catch (error) {
      return [`the other workers could not be told: ${(error as Error).message}`];
    }
  }

  private async apply(event: PeerEvent): Promise<string> {
    switch (event.kind) {
      case 'model-reloaded': {
        const { manifest } = await this.registry.get(event.model).reload();
        return `serves ${manifest.name} version ${manifest.version}`;
      }
      case 'evaluated':
        await this.monitor.restoreGauges();
        return 'refreshed its evaluation gauges';
    }
  }
}
