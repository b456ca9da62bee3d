import { MleModule, MleOptions, ModelService } from '@app/mle';
import { SalesModel } from '@app/sales/model/sales.model';
import { SalesTrainingData } from '@app/sales/model/sales-training-data';
import { SalesModule } from '@app/sales/sales.module';
import { DynamicModule, Type } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Env } from '../config/env.validation';

/** The model this service serves. To serve another, change this line. */
export const SERVED_MODEL: Type<ModelService> = SalesModel;

/** The kit bound to `model`, with options from the validated configuration. */
export function modelModule(
  model: Type<ModelService> = SERVED_MODEL,
  overrides: Partial<MleOptions> = {},
): DynamicModule {
  return MleModule.forRoot({
    model,
    trainingData: SalesTrainingData,
    imports: [SalesModule],
    inject: [ConfigService],
    useOptions: (config: ConfigService<Env, true>) => ({
      modelDir: config.get('MODEL_DIR', { infer: true }),
      keepVersions: config.get('MODEL_KEEP_VERSIONS', { infer: true }),
      // Demo mode (embedded database): a first `npm start` trains a model rather than serve none.
      trainWhenMissing: !config.get('DATABASE_URL', { infer: true }),
      predictionLog: {
        enabled: config.get('PREDICTION_LOG', { infer: true }) === 'on',
        dir: config.get('LOG_DIR', { infer: true }),
        maxSize: config.get('LOG_MAX_SIZE', { infer: true }),
        retentionDays: config.get('LOG_RETENTION_DAYS', { infer: true }),
      },
      ...overrides,
    }),
  });
}
