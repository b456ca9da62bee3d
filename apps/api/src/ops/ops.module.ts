import { Module } from '@nestjs/common';
import { OpsTokenGuard } from './ops-token.guard';

/** The ops token's guard, for the modules whose routes need it. */
@Module({
  providers: [OpsTokenGuard],
  exports: [OpsTokenGuard],
})
export class OpsModule {}
