import { ModelRegistry } from '@app/mle/registry';
import { Controller, Get, Headers, Res, UseGuards } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { DASHBOARD_BASIC_SCHEME, OptionalTokenSecurity } from '../http/openapi';
import { RetrainingStatus } from '../retraining/retraining-status.service';
import { DashboardAccessGuard } from './dashboard-access.guard';
import { DashboardAssets } from './dashboard-assets';

const ACCESS =
  'Open unless RETRAINING_STATUS_TOKEN is set; then that token or OPS_TOKEN as the password of Basic credentials ' +
  '(any user name; a browser asks for them) or as a bearer token. Either token gives the full view.';

/** The ops dashboard: a page, and the retraining status of every served model behind it. */
@ApiTags('dashboard')
@Controller('dashboard')
@UseGuards(DashboardAccessGuard)
export class DashboardController {
  constructor(
    private readonly registry: ModelRegistry,
    private readonly statuses: RetrainingStatus,
    private readonly access: DashboardAccessGuard,
    private readonly assets: DashboardAssets,
  ) {}

  @Get()
  @OptionalTokenSecurity(DASHBOARD_BASIC_SCHEME)
  @ApiProduces('text/html')
  @ApiOperation({
    summary:
      'The ops dashboard: accuracy, label coverage, drift, shadow and recommendation per model',
    description: `An HTML page that draws GET /dashboard/data and refreshes it every minute. ${ACCESS}`,
  })
  @ApiOkResponse({ description: 'The page (text/html).' })
  @ApiResponse({ status: 401, description: 'Missing or wrong credentials (a Basic challenge).' })
  page(@Res({ passthrough: true }) reply: FastifyReply): Buffer {
    void reply.header('content-type', this.assets.page.type).header('cache-control', 'no-store');
    return this.assets.page.body;
  }

  @Get('data')
  @OptionalTokenSecurity(DASHBOARD_BASIC_SCHEME)
  @ApiOperation({
    summary: 'What the dashboard draws: the retraining status of every served model',
    description:
      '`models` holds, for each served model (the default first), exactly what GET /models/{model}/retraining/status answers. ' +
      ACCESS,
  })
  @ApiResponse({ status: 401, description: 'Missing or wrong credentials (a Basic challenge).' })
  @ApiResponse({ status: 503, description: 'The database does not answer; try again later.' })
  async data(
    @Headers('authorization') authorization: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const full = this.access.grantsDetails(authorization);
    const models = await this.statuses.ofAll(this.registry.models, full);
    void reply.header('cache-control', 'no-store');
    return { generatedAt: new Date().toISOString(), models };
  }
}
