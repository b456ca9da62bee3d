import { Module } from '@nestjs/common';
import { ClusterModule } from '../cluster/cluster.module';
import { OpsModule } from '../ops/ops.module';
import { StatusTokenGuard } from '../retraining/status-token.guard';
import { ModelVersionsController } from './model-versions.controller';
import { ModelController } from './model.controller';

@Module({
  imports: [OpsModule, ClusterModule],
  controllers: [ModelController, ModelVersionsController],
  providers: [StatusTokenGuard],
})
export class ModelsModule {}
