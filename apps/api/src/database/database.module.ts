import { ModelPlugin } from '@app/mle';
import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Env, validateEnv } from '../config/env.validation';
import { buildDataSourceOptions } from './data-source.options';

/** Validated configuration and the TypeORM connection, for the app and the command-line tools. */
@Module({})
export class DatabaseModule {
  /**
   * Reads and validates the environment now (not when this file was imported). The migrations
   * are the kit's and those of the served `plugins`. `retryAttempts`: how often a failed first
   * connection is tried again, 3 s apart (a command fails at once).
   */
  static forRoot(
    plugins: readonly ModelPlugin[],
    { retryAttempts = 9 }: { retryAttempts?: number } = {},
  ): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, validate: validateEnv }),
        TypeOrmModule.forRootAsync({
          inject: [ConfigService],
          useFactory: (config: ConfigService<Env, true>) => ({
            ...buildDataSourceOptions(
              {
                DATABASE_URL: config.get('DATABASE_URL', { infer: true }),
                EMBEDDED_PG_DIR: config.get('EMBEDDED_PG_DIR', { infer: true }),
                EMBEDDED_PG_PORT: config.get('EMBEDDED_PG_PORT', { infer: true }),
              },
              plugins,
            ),
            retryAttempts,
          }),
        }),
      ],
    };
  }
}
