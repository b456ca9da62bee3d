import { PredictionLogWriter } from '@app/mle/prediction-log';
import { ModelRegistry } from '@app/mle/registry';
import { Controller, Get, Headers, HttpStatus } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { Env } from '../config/env.validation';
import { PROBLEM_TYPES, ProblemException } from '../http/problems';
import { bearerTokenMatches } from '../ops/access-token';

const DATABASE_TIMEOUT_MS = 2_000;

type CheckName = 'database' | 'model' | 'predictionLog';
type CheckState = 'up' | 'down' | 'degraded' | 'off';

/** What readiness says to anyone: states, and for what is not up, why and what to do. */
export interface Readiness {
  status: 'ok' | 'error';
  checks: Record<CheckName, CheckState>;
  reasons?: Partial<Record<CheckName, string>>;
  /** With the ops token only: what locates the model and the files. */
  details?: Record<string, unknown>;
}

@ApiTags('health')
@Controller('health')
export class HealthController {
  private readonly opsToken: string | undefined;

  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly registry: ModelRegistry,
    private readonly predictionLog: PredictionLogWriter,
    config: ConfigService<Env, true>,
  ) {
    this.opsToken = config.get('OPS_TOKEN', { infer: true });
  }

  @Get('live')
  @HealthCheck()
  @ApiOperation({ summary: 'The process is up and its event loop answers' })
  live() {
    return this.health.check([]);
  }

  /**
   * Ready to serve: the database answers and a model version is loaded. A prediction log that
   * cannot be written does not stop predictions: it shows as `degraded` (still 200). The body
   * holds states and reasons only; paths and versions are added for the ops token, and write
   * errors are counted in /metrics and logged.
   */
  @Get('ready')
  @ApiOperation({ summary: 'Ready to serve: database, model loaded, prediction log writable' })
  @ApiResponse({
    status: 200,
    description: '{ status: ok, checks: { database, model, predictionLog } }',
  })
  @ApiResponse({ status: 503, description: 'Not ready (problem+json with checks and reasons)' })
  async ready(@Headers('authorization') authorization?: string): Promise<Readiness> {
    const reasons: Partial<Record<CheckName, string>> = {};
    const ping = await this.database.pingCheck('database', { timeout: DATABASE_TIMEOUT_MS });
    const database: CheckState = ping.database.status === 'up' ? 'up' : 'down';
    if (database === 'down') {
      reasons.database = `the database does not answer within ${DATABASE_TIMEOUT_MS / 1000} s: check that PostgreSQL runs and is reachable at DATABASE_URL`;
    }
    const models = this.registry.models;
    const unloaded = models.filter((model) => !model.current).map((model) => model.name);
    const served = unloaded.length === 0;
    if (!served) {
      reasons.model = unloaded
        .map(
          (name) =>
            `no version of ${name} is loaded: train one (npm run train -- --model ${name}), then POST /models/${name}/reload`,
        )
        .join('; ');
    }
    const log = this.predictionLog.status();
    const predictionLog: CheckState = !log.enabled ? 'off' : log.writable ? 'up' : 'degraded';
    if (predictionLog === 'degraded') {
      reasons.predictionLog =
        'prediction log writes fail: predictions are answered but not logged (see the service logs and mle_prediction_log_write_errors_total)';
    }
    const readiness: Readiness = {
      status: database === 'up' && served ? 'ok' : 'error',
      checks: { database, model: served ? 'up' : 'down', predictionLog },
      ...(Object.keys(reasons).length ? { reasons } : {}),
      ...(this.opsToken && bearerTokenMatches(authorization, this.opsToken)
        ? {
            details: {
              models: Object.fromEntries(
                models.map((model) => [model.name, model.current?.manifest.version ?? null]),
              ),
              predictionLog: {
                writeErrors: log.writeErrors,
                ...(log.lastError ? { lastError: log.lastError } : {}),
                ...(log.file ? { file: log.file } : {}),
              },
            },
          }
        : {}),
    };
    if (readiness.status === 'ok') return readiness;
    const failing = Object.entries(reasons)
      .filter(([name]) => readiness.checks[name as CheckName] === 'down')
      .map(([name, reason]) => `${name}: ${reason}`);
    throw new ProblemException(
      HttpStatus.SERVICE_UNAVAILABLE,
      PROBLEM_TYPES.notReady,
      'Not ready',
      `Not ready. ${failing.join('; ')}`,
      undefined,
      {
        checks: readiness.checks,
        reasons,
        ...(readiness.details ? { details: readiness.details } : {}),
      },
    );
  }
}
