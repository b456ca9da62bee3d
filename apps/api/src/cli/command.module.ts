import { ModelPlugin } from '@app/mle';
import { MleModule } from '@app/mle/module';
import { DynamicModule, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Env } from '../config/env.validation';
import { mleOptions } from '../config/mle-options';
import { DatabaseModule } from '../database/database.module';

/** What the command-line tools need: configuration, the database and the kit, no HTTP and no jobs. */
@Module({})
export class CommandModule {
  /**
   * Built when a command starts its context, not when this file is imported: the configuration
   * is validated there, and a rejection nobody awaits would print the raw environment.
   */
  static forRoot(plugins: readonly ModelPlugin[]): DynamicModule {
    return {
      module: CommandModule,
      imports: [
        DatabaseModule.forRoot(plugins, { retryAttempts: 0 }),
        MleModule.forRoot({
          plugins,
          inject: [ConfigService],
          useOptions: (config: ConfigService<Env, true>) =>
            mleOptions(config, { forCommand: true }),
        }),
      ],
    };
  }
}
