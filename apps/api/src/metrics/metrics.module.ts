import { Module } from '@nestjs/common';
import { ClusterModule } from '../cluster/cluster.module';
import { HttpMetrics } from './http-metrics';
import { MetricsController } from './metrics.controller';

@Module({
  imports: [ClusterModule],
  controllers: [MetricsController],
  providers: [HttpMetrics],
  exports: [HttpMetrics],
})
export class MetricsModule {}
