import { MetricsRegistry } from '@app/mle/metrics';
import { Controller, Get, Header, ServiceUnavailableException } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Registry } from 'prom-client';
import { ClusterChannel } from '../cluster/cluster.channel';

@ApiExcludeController()
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly registry: MetricsRegistry,
    private readonly cluster: ClusterChannel,
  ) {}

  /**
   * Prometheus text exposition format, for the whole service: with several workers the primary
   * merges every worker's registry (counters and histograms summed, per-service gauges not).
   */
  @Get()
  @Header('content-type', Registry.PROMETHEUS_CONTENT_TYPE)
  async metrics(): Promise<string> {
    if (!this.cluster.enabled) return this.registry.metrics();
    try {
      return await this.cluster.clusterMetrics();
    } catch (error) {
      throw new ServiceUnavailableException(
        `The metrics of every worker could not be gathered (${(error as Error).message}); the next scrape tries again.`,
      );
    }
  }
}
