import { ModelService } from '@app/mle';
import { SalesModule } from '@app/sales/sales.module';
import { DynamicModule, Module, Type } from '@nestjs/common';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { MetricsModule } from './metrics/metrics.module';
import { OpsModule } from './ops/ops.module';
import { PredictModule } from './predict/predict.module';
import { RetrainingModule } from './retraining/retraining.module';
import { modelModule, SERVED_MODEL } from './model/model.module';

export interface AppOptions {
  /** The model to serve; SERVED_MODEL unless a test plugs in another. */
  model?: Type<ModelService>;
}

@Module({})
export class AppModule {
  static forRoot({ model = SERVED_MODEL }: AppOptions = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        DatabaseModule.forRoot(),
        SalesModule,
        modelModule(model),
        PredictModule,
        OpsModule,
        MetricsModule,
        RetrainingModule,
        HealthModule,
      ],
    };
  }
}
