import { DynamicModule, Module, ModuleMetadata, Provider, Type } from '@nestjs/common';
import { MLE_MODEL_CLASS, MLE_OPTIONS } from './mle.constants';
import { DEFAULT_MLE_OPTIONS, MleOptions } from './mle.options';
import { ModelService } from './model.service';
import { ModelArtifactStore } from './registry/model-artifact.store';
import { ModelBootstrap } from './registry/model.bootstrap';
import { ModelRegistry } from './registry/model.registry';
import { ModelTrainer } from './training/model.trainer';
import { TrainingDataSource } from './training/training-data.source';

export interface MleModuleConfig {
  /** The concrete model to serve: the one line that decides which model this service runs. */
  model: Type<ModelService>;
  /** Where labelled examples for training come from (optional for serving only). */
  trainingData?: Type<TrainingDataSource>;
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
      ModelArtifactStore,
      ModelRegistry,
      ModelTrainer,
      ModelBootstrap,
    ];
    if (config.trainingData) {
      providers.push({ provide: TrainingDataSource, useClass: config.trainingData });
    }
    return {
      module: MleModule,
      global: true,
      imports: config.imports ?? [],
      providers,
      exports: [ModelService, MLE_OPTIONS, ModelArtifactStore, ModelRegistry, ModelTrainer],
    };
  }
}
