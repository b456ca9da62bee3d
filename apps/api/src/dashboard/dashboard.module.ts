import { Module } from '@nestjs/common';
import { RetrainingModule } from '../retraining/retraining.module';
import { DashboardAccessGuard } from './dashboard-access.guard';
import { DashboardAssets } from './dashboard-assets';
import { DashboardAssetsController } from './dashboard-assets.controller';
import { DashboardController } from './dashboard.controller';

/** GET /dashboard: the ops dashboard, drawn from the retraining status service. */
@Module({
  imports: [RetrainingModule],
  controllers: [DashboardController, DashboardAssetsController],
  providers: [DashboardAccessGuard, DashboardAssets],
})
export class DashboardModule {}
