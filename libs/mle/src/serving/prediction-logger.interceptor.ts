import { CallHandler, ExecutionContext, Injectable, Logger, NestInterceptor } from '@nestjs/common';
import { Observable, tap } from 'rxjs';
import { MleMetrics } from '../metrics/mle-metrics';
import { PredictionLogWriter } from '../prediction-log/prediction-log.writer';
import { PredictionRecord } from '../prediction-log/prediction-record';
import { ModelRegistry } from '../registry/model.registry';
import { ServedModel } from '../registry/registered-model';
import { PredictionAnswer, PredictRequest, PredictResponse } from './prediction-answer';

const WARN_EVERY_MS = 60_000;

/**
 * Logs every prediction a handler returns, one record per instance of a batch, with the features
 * of the (validated) request. Use it on the predict route: `@UseInterceptors(PredictionLogger)`.
 * The records are handed to the writer, which writes them after the response has gone. When the
 * model has a shadow version, the shadow scores the same instances after the response has gone
 * too, and its records are logged marked `shadow`: it never changes or delays an answer.
 */
@Injectable()
export class PredictionLogger implements NestInterceptor {
  private readonly logger = new Logger('ShadowScoring');
  private readonly warnedAt = new Map<string, number>();

  constructor(
    private readonly writer: PredictionLogWriter,
    private readonly registry: ModelRegistry,
    private readonly metrics: MleMetrics,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<PredictResponse> {
    const started = performance.now();
    const request = context.switchToHttp().getRequest<{ body: PredictRequest }>();
    return next.handle().pipe(
      tap((response: PredictResponse) => {
        const records = toRecords(request.body, response, started);
        this.writer.write(records);
        const shadow = records.length ? this.registry.get(records[0].model).shadow : undefined;
        // Taken now, scored once the answer has been sent.
        if (shadow) setImmediate(() => this.scoreInShadow(shadow, records));
      }),
    );
  }

  private scoreInShadow({ model }: ServedModel, answered: readonly PredictionRecord[]): void {
    const labels = { model: model.name, version: model.version };
    const started = performance.now();
    try {
      const results = model.predict(answered.map((record) => record.features));
      const ts = new Date().toISOString();
      const latencyMs = Math.round((performance.now() - started) * 1000) / 1000;
      this.writer.write(
        answered.map((record, i) => ({
          ...record,
          ts,
          prediction: results[i].prediction,
          probability: results[i].probability,
          modelVersion: model.version,
          latencyMs,
          shadow: true,
        })),
      );
      this.metrics.shadowPredictions.inc(labels, answered.length);
    } catch (error) {
      this.metrics.shadowErrors.inc(labels);
      const last = this.warnedAt.get(model.name) ?? -Infinity;
      if (Date.now() - last >= WARN_EVERY_MS) {
        this.warnedAt.set(model.name, Date.now());
        this.logger.warn(
          `Shadow version ${model.version} of ${model.name} failed to score a request: ${(error as Error).message} ` +
            '(answers are not affected; mle_shadow_errors_total counts these).',
        );
      }
    }
  }
}

function toRecords(
  body: PredictRequest,
  response: PredictResponse,
  started: number,
): PredictionRecord[] {
  const instances = 'instances' in body ? body.instances : [body];
  const answers: PredictionAnswer[] = 'predictions' in response ? response.predictions : [response];
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
