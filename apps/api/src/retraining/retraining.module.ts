import { Module } from '@nestjs/common';
import { OpsModule } from '../ops/ops.module';
import { RetrainingController } from './retraining.controller';
import { StatusTokenGuard } from './status-token.guard';

@Module({
  imports: [OpsModule],
  controllers: [RetrainingController],
  providers: [StatusTokenGuard],
})
export class RetrainingModule {}
