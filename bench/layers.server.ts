import { PredictBatch, PredictionService, PredictResponse } from '@app/mle/serving';
import {
  CallHandler,
  Controller,
  ExecutionContext,
  HttpCode,
  Injectable,
  Module,
  NestInterceptor,
  Post,
  Req,
  UseInterceptors,
} from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { PredictBody } from '../apps/api/src/predict/predict-body.decorator';
import { PredictRequestPipe } from '../apps/api/src/predict/predict-request.pipe';
import { main } from '../apps/api/src/server/serve';

// The service with some of its layers, for `npm run bench`: BENCH_LAYERS lists the response
// hooks to keep (`metrics`, `headers`); PREDICTION_LOG switches the log as in production. Beside
// the real routes, POST /bench/validated is the predict route without the PredictionLogger
// interceptor (validation and the prediction service only), and POST /bench/noop is that route
// with an interceptor that does nothing: what Nest's interceptor pipeline costs by itself.

@Controller('bench')
class ValidatedPredictController {
  constructor(private readonly predictions: PredictionService) {}

  @Post('validated')
  @HttpCode(200)
  predict(
    @PredictBody(PredictRequestPipe) batch: PredictBatch,
    @Req() request: FastifyRequest,
  ): PredictResponse {
    const answers = this.predictions.predict(batch, request.id);
    return batch.single ? answers[0] : { predictions: answers };
  }
}

@Injectable()
class NoopInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): ReturnType<CallHandler['handle']> {
    return next.handle();
  }
}

@Controller('bench')
class NoopInterceptedPredictController {
  constructor(private readonly predictions: PredictionService) {}

  @Post('noop')
  @HttpCode(200)
  @UseInterceptors(NoopInterceptor)
  predict(
    @PredictBody(PredictRequestPipe) batch: PredictBatch,
    @Req() request: FastifyRequest,
  ): PredictResponse {
    const answers = this.predictions.predict(batch, request.id);
    return batch.single ? answers[0] : { predictions: answers };
  }
}

@Module({
  controllers: [ValidatedPredictController, NoopInterceptedPredictController],
  providers: [PredictRequestPipe],
})
class BenchRoutesModule {}

const layers = new Set((process.env.BENCH_LAYERS ?? 'metrics,headers').split(','));
main({
  hooks: { metrics: layers.has('metrics'), securityHeaders: layers.has('headers') },
  imports: [BenchRoutesModule],
});
