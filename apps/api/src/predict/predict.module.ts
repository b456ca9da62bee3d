import { Module } from '@nestjs/common';
import { PredictController } from './predict.controller';
import { PredictRequestPipe } from './predict-request.pipe';

@Module({
  controllers: [PredictController],
  providers: [PredictRequestPipe],
})
export class PredictModule {}
