import { Module } from '@nestjs/common';
import { OpsModule } from '../ops/ops.module';
import { ModelController } from './model.controller';

@Module({
  imports: [OpsModule],
  controllers: [ModelController],
})
export class ModelsModule {}
