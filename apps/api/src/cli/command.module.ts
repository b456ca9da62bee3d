import { DynamicModule, Module } from '@nestjs/common';
import { DatabaseModule } from '../database/database.module';
import { modelModule } from '../model/model.module';

/** What the command-line tools need: configuration, the database and the kit, no HTTP and no jobs. */
@Module({})
export class CommandModule {
  /**
   * Built when a command starts its context, not when this file is imported: the configuration
   * is validated there, and a rejection nobody awaits would print the raw environment.
   */
  static forRoot(): DynamicModule {
    return {
      module: CommandModule,
      imports: [DatabaseModule.forRoot(), modelModule(undefined, { forCommand: true })],
    };
  }
}
