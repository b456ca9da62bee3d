import { DynamicModule, Module, ModuleMetadata, Provider, Type } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { AccuracyEvaluator } from './monitoring/accuracy-evaluator';
import { DriftDetector } from './monitoring/drift-detector';
import { OutcomeTracker } from './monitoring/outcome-tracker';
import { EvaluationScheduler } from './monitoring/evaluation.scheduler';
import { GroundTruthSource } from './monitoring/ground-truth.source';
import { PredictionLogIngester } from './monitoring/prediction-log.ingester';
import { RetrainingWebhookNotifier } from './monitoring/retraining-webhook.notifier';
import { RetrainingEvents } from './monitoring/retraining.events';
import { RetrainingMonitor } from './monitoring/retraining.monitor';
import { JobRunRepository } from './monitoring/repositories/job-run.repository';
import { MetricsRegistry } from './metrics/metrics.registry';
import { MleMetrics } from './metrics/mle-metrics';
import { MLE_MODEL_CLASS, MLE_OPTIONS, PREDICTION_LOG_OPTIONS } from './mle.constants';
import { PredictionLogWriter } from './prediction-log/prediction-log.writer';
import { PredictionLogger } from './prediction-logger.interceptor';
import { PredictionService } from './serving/prediction.service';
import { DEFAULT_MLE_OPTIONS, MleOptions } from './mle.options';
import { ModelService } from './model.service';
import { ModelArtifactStore } from './registry/model-artifact.store';
import { ModelBootstrap } from './registry/model.bootstrap';
import { ModelRegistry } from './registry/model.registry';
import { ModelTrainer } from './training/model.trainer';
import { TrainingDataSource } from './training/training-data.source';

/** The options to give: `modelDir`, and any default to override. */
export type MleOptionsInput = Partial<MleOptions> & Pick<MleOptions, 'modelDir'>;

export interface MleModuleConfig {
  /** The concrete model to serve: the one line that decides which model this service runs. */
  model: Type<ModelService>;
  /** Where labelled examples for training come from (optional for serving only). */
  trainingData?: Type<TrainingDataSource>;
  /** Where the truth about logged predictions comes from (enables the retraining monitor). */
  groundTruth?: Type<GroundTruthSource>;
  /** Modules the model, the training data source or `useOptions` depend on. */
  imports?: ModuleMetadata['imports'];
  inject?: (Type | string | symbol)[];
  /** Builds the kit's options, typically from configuration. */
  useOptions: (
    ...deps: never[]
  ) =>
    | (Partial<MleOptions> & Pick<MleOptions, 'modelDir'>)
    | Promise<Partial<MleOptions> & Pick<MleOptions, 'modelDir'>>;
}

/**
 * The ML-engineering kit. `MleModule.forRoot({ model: SalesModel, … })` binds `ModelService` to
 * the concrete class; nothing else in the kit knows which model it serves.
 */
@Module({})
export class MleModule {
  static forRoot(config: MleModuleConfig): DynamicModule {
    const providers: Provider[] = [
      { provide: MLE_MODEL_CLASS, useValue: config.model },
      { provide: ModelService, useClass: config.model },
      {
        provide: MLE_OPTIONS,
        inject: config.inject ?? [],
        useFactory: async (...deps: never[]): Promise<MleOptions> => ({
          ...DEFAULT_MLE_OPTIONS,
          ...(await config.useOptions(...deps)),
        }),
      },
      {
        provide: PREDICTION_LOG_OPTIONS,
        inject: [MLE_OPTIONS],
        useFactory: (options: MleOptions) => options.predictionLog,
      },
      ModelArtifactStore,
      ModelRegistry,
      ModelTrainer,
      ModelBootstrap,
      MetricsRegistry,
      MleMetrics,
      PredictionLogWriter,
      PredictionLogger,
      PredictionService,
    ];
    if (config.trainingData) {
      providers.push({ provide: TrainingDataSource, useClass: config.trainingData });
    }
    const monitoring: Provider[] = config.groundTruth
      ? [
          { provide: GroundTruthSource, useClass: config.groundTruth },
          PredictionLogIngester,
          AccuracyEvaluator,
          DriftDetector,
          OutcomeTracker,
          JobRunRepository,
          RetrainingEvents,
          RetrainingWebhookNotifier,
          RetrainingMonitor,
          EvaluationScheduler,
        ]
      : [];
    return {
      module: MleModule,
      global: true,
      imports: [
        ...(config.imports ?? []),
        ...(config.groundTruth ? [ScheduleModule.forRoot()] : []),
      ],
      providers: [...providers, ...monitoring],
      exports: [
        ModelService,
        MLE_OPTIONS,
        ModelArtifactStore,
        ModelRegistry,
        ModelTrainer,
        MetricsRegistry,
        MleMetrics,
        PredictionLogWriter,
        PredictionLogger,
        PredictionService,
        ...(config.groundTruth
          ? [RetrainingEvents, RetrainingMonitor, EvaluationScheduler, PredictionLogIngester]
          : []),
      ],
    };
  }
}
