import { Module } from '@nestjs/common';
import { DatabaseModule } from '../database/database.module';
import { modelModule } from '../model/model.module';

/** What the command-line tools need: configuration, the database and the kit, no HTTP and no jobs. */
@Module({
  imports: [DatabaseModule.forRoot(), modelModule(undefined, { forCommand: true })],
})
export class CommandModule {}
