import { Module } from '@nestjs/common';
import { ModelController } from './model.controller';
import { OpsTokenGuard } from './ops-token.guard';

@Module({
  controllers: [ModelController],
  providers: [OpsTokenGuard],
  exports: [OpsTokenGuard],
})
export class OpsModule {}
