import { Module } from '@nestjs/common';
import { ClusterModule } from '../cluster/cluster.module';
import { OpsModule } from '../ops/ops.module';
import { ModelController } from './model.controller';

@Module({
  imports: [OpsModule, ClusterModule],
  controllers: [ModelController],
})
export class ModelsModule {}
