import { ModelPlugin } from '@app/mle';
import { MleModule } from '@app/mle/module';
import { DynamicModule, Module, ModuleMetadata } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Env } from './config/env.validation';
import { mleOptions } from './config/mle-options';
import { DashboardModule } from './dashboard/dashboard.module';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { MetricsModule } from './metrics/metrics.module';
import { ModelsModule } from './models/models.module';
import { PredictModule } from './predict/predict.module';
import { RetrainingModule } from './retraining/retraining.module';
import { SERVED_MODELS } from './served-models';

export interface AppOptions {
  /** The plug-ins to serve; SERVED_MODELS unless a test serves others. */
  plugins?: readonly ModelPlugin[];
  /** Modules served beside the app's own (the benchmark's layered routes). */
  imports?: ModuleMetadata['imports'];
  /**
   * Off: this process leaves the periodic ingestion of LOG_DIR to another (a worker of
   * WORKERS > 1, whose primary ingests the folder the workers share).
   */
  ingest?: boolean;
}

@Module({})
export class AppModule {
  static forRoot({
    plugins = SERVED_MODELS,
    imports = [],
    ingest = true,
  }: AppOptions = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        DatabaseModule.forRoot(plugins),
        MleModule.forRoot({
          plugins,
          inject: [ConfigService],
          useOptions: (config: ConfigService<Env, true>) => mleOptions(config, { ingest }),
        }),
        PredictModule,
        ModelsModule,
        MetricsModule,
        RetrainingModule,
        DashboardModule,
        HealthModule,
        ...imports,
      ],
    };
  }
}
