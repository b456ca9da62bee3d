import { ModelRegistry, PredictionLogWriter } from '@app/mle';
import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    private readonly registry: ModelRegistry,
    private readonly predictionLog: PredictionLogWriter,
  ) {}

  @Get('live')
  @HealthCheck()
  @ApiOperation({ summary: 'The process is up and its event loop answers' })
  live() {
    return this.health.check([]);
  }

  /**
   * Ready to serve: the database answers and a model version is loaded. A prediction log that
   * cannot be written does not stop predictions: it shows as `degraded` (still 200).
   */
  @Get('ready')
  @HealthCheck()
  @ApiOperation({ summary: 'Ready to serve: database, model loaded, prediction log writable' })
  ready() {
    return this.health.check([
      () => this.database.pingCheck('database', { timeout: 2_000 }),
      () => {
        const check = this.indicators.check('model');
        const served = this.registry.current;
        return served
          ? check.up({ name: served.manifest.name, version: served.manifest.version })
          : check.down({
              reason: 'no model version is loaded: train one, then POST /model/reload',
            });
      },
      () => {
        const log = this.predictionLog.status();
        return this.indicators.check('predictionLog').up({
          state: !log.enabled ? 'off' : log.writable ? 'ok' : 'degraded',
          writeErrors: log.writeErrors,
          ...(log.lastError ? { lastError: log.lastError } : {}),
          ...(log.file ? { file: log.file } : {}),
        });
      },
    ]);
  }
}
