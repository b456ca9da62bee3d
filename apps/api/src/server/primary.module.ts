import { ModelPlugin } from '@app/mle';
import { MleModule } from '@app/mle/module';
import { DynamicModule, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Env } from '../config/env.validation';
import { mleOptions } from '../config/mle-options';
import { DatabaseModule } from '../database/database.module';

/**
 * What the primary of WORKERS > 1 runs beside its workers: the ingestion of the LOG_DIR they
 * share (every INGEST_INTERVAL, and once more after the last worker has stopped), so that the
 * folder is ingested by one process rather than by every worker. No HTTP, no model is loaded and
 * no evaluation is scheduled: the workers do those.
 */
@Module({})
export class PrimaryModule {
  static forRoot(plugins: readonly ModelPlugin[]): DynamicModule {
    return {
      module: PrimaryModule,
      imports: [
        DatabaseModule.forRoot(plugins),
        MleModule.forRoot({
          plugins,
          inject: [ConfigService],
          useOptions: (config: ConfigService<Env, true>) =>
            mleOptions(config, { forCommand: true, ingest: true }),
        }),
      ],
    };
  }
}
