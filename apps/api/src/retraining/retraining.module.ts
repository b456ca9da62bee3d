import { Module } from '@nestjs/common';
import { OpsModule } from '../ops/ops.module';
import { RetrainingStatus } from './retraining-status.service';
import { RetrainingController } from './retraining.controller';
import { StatusTokenGuard } from './status-token.guard';

@Module({
  imports: [OpsModule],
  controllers: [RetrainingController],
  providers: [StatusTokenGuard, RetrainingStatus],
  exports: [StatusTokenGuard, RetrainingStatus],
})
export class RetrainingModule {}
