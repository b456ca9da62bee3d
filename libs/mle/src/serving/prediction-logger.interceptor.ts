import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Observable, tap } from 'rxjs';
import { PredictionLogWriter } from '../prediction-log/prediction-log.writer';
import { PredictionRecord } from '../prediction-log/prediction-record';
import { PredictRequest, PredictResponse } from './prediction-answer';

/**
 * Logs every prediction a handler returns, one record per instance of a batch, with the features
 * of the (validated) request. Use it on the predict route: `@UseInterceptors(PredictionLogger)`.
 * The records are handed to the writer, which writes them after the response has gone.
 */
@Injectable()
export class PredictionLogger implements NestInterceptor {
  constructor(private readonly writer: PredictionLogWriter) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<PredictResponse> {
    const started = performance.now();
    const request = context.switchToHttp().getRequest<{ body: PredictRequest }>();
    return next
      .handle()
      .pipe(
        tap((response: PredictResponse) =>
          this.writer.write(toRecords(request.body, response, started)),
        ),
      );
  }
}

function toRecords(
  body: PredictRequest,
  response: PredictResponse,
  started: number,
): PredictionRecord[] {
  const instances = 'instances' in body ? body.instances : [body];
  const answers = 'predictions' in response ? response.predictions : [response];
  const ts = new Date().toISOString();
  const latencyMs = Math.round((performance.now() - started) * 1000) / 1000;
  return answers.map((answer, i) => ({
    ts,
    requestId: answer.requestId,
    inputId: String(answer.id),
    features: instances[i].features,
    prediction: answer.prediction,
    probability: answer.probability,
    model: answer.model,
    modelVersion: answer.modelVersion,
    latencyMs,
  }));
}
