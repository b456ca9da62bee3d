import { RetrainingMonitor } from '@app/mle/monitoring';
import { ModelRegistry } from '@app/mle/registry';
import {
  Controller,
  Get,
  Headers,
  HttpCode,
  HttpStatus,
  Param,
  Post,
  UseGuards,
} from '@nestjs/common';
import { ApiOperation, ApiParam, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { OPS_TOKEN_SCHEME, OptionalTokenSecurity } from '../http/openapi';
import { PROBLEM_TYPES, ProblemException } from '../http/problems';
import { OpsTokenGuard } from '../ops/ops-token.guard';
import { RetrainingStatus } from './retraining-status.service';
import { StatusTokenGuard } from './status-token.guard';

const STATUS_DESCRIPTION =
  'recommendation: RETRAIN when accuracy is below the threshold on at least the minimum of labelled predictions; INSUFFICIENT_DATA below that minimum; OK otherwise; ' +
  'WATCH instead of OK or INSUFFICIENT_DATA when the accuracy estimated for the days without labels is below the threshold (its whole ±3 SE band) or a feature drifts significantly. ' +
  'view: public shows the last run without its error and host; sending RETRAINING_STATUS_TOKEN or OPS_TOKEN gives the full view. ' +
  'Open unless RETRAINING_STATUS_TOKEN is set. 503 (problem+json) while the database does not answer.';

@ApiTags('retraining')
@Controller()
export class RetrainingController {
  constructor(
    private readonly monitor: RetrainingMonitor,
    private readonly registry: ModelRegistry,
    private readonly access: StatusTokenGuard,
    private readonly statuses: RetrainingStatus,
  ) {}

  @Get('retraining/status')
  @UseGuards(StatusTokenGuard)
  @OptionalTokenSecurity()
  @ApiOperation({
    summary:
      'Should the default model be retrained? The latest evaluation, its trend, drift and the job runs',
    description: STATUS_DESCRIPTION,
  })
  @ApiResponse({ status: 503, description: 'The database does not answer; try again later.' })
  async status(@Headers('authorization') authorization?: string) {
    return this.statuses.of(this.registry.first, this.access.grantsDetails(authorization));
  }

  @Get('models/:model/retraining/status')
  @UseGuards(StatusTokenGuard)
  @OptionalTokenSecurity()
  @ApiOperation({
    summary:
      'Should the named model be retrained? The latest evaluation, its trend, drift and the job runs',
    description: STATUS_DESCRIPTION,
  })
  @ApiParam({ name: 'model', description: 'A served model (GET /models lists them).' })
  @ApiResponse({ status: 404, description: 'No such model.' })
  @ApiResponse({ status: 503, description: 'The database does not answer; try again later.' })
  async modelStatus(
    @Param('model') name: string,
    @Headers('authorization') authorization?: string,
  ) {
    return this.statuses.of(this.registry.get(name), this.access.grantsDetails(authorization));
  }

  @Post('retraining/evaluate')
  @HttpCode(200)
  @UseGuards(OpsTokenGuard)
  @ApiSecurity(OPS_TOKEN_SCHEME)
  @ApiOperation({
    summary: 'Ingest the prediction logs and evaluate every served model now',
    description:
      "Answers the default model's evaluation, with `evaluations` holding every model's (the default first), " +
      'and `actions`: what RETRAINING_MODE did next (challengers trained, rollbacks).',
  })
  @ApiResponse({
    status: 409,
    description: 'An evaluation is already running (here or on another replica).',
  })
  @ApiResponse({
    status: 500,
    description: 'The evaluation failed; the detail names the job run and the error.',
  })
  @ApiResponse({
    status: 503,
    description:
      'The database does not answer, or a table lock was held longer than EVALUATION_LOCK_TIMEOUT (the detail names it and its holder); try again later.',
  })
  async evaluate() {
    const outcome = await this.monitor.run('manual');
    switch (outcome.status) {
      case 'completed': {
        const [first] = outcome.evaluations;
        return { ...first, evaluations: outcome.evaluations, actions: outcome.actions };
      }
      case 'skipped':
        throw new ProblemException(
          HttpStatus.CONFLICT,
          PROBLEM_TYPES.conflict,
          'Evaluation in progress',
          'An evaluation is already running; try again when it has finished (GET /retraining/status shows it).',
        );
      case 'failed':
        // A lock held by someone else passes: 503 says "try again", 500 says "this is broken".
        throw new ProblemException(
          outcome.lockTimeout ? HttpStatus.SERVICE_UNAVAILABLE : HttpStatus.INTERNAL_SERVER_ERROR,
          PROBLEM_TYPES.evaluationFailed,
          'Evaluation failed',
          (outcome.unrecorded
            ? `The evaluation failed (job run ${outcome.jobRunId}), and the failure could not be recorded (${outcome.unrecorded}); it will be once the database answers: ${outcome.error}`
            : `The evaluation failed and was recorded as job run ${outcome.jobRunId}: ${outcome.error}`) +
            (outcome.lockTimeout
              ? '. Try again once the lock is released; the next run counts what this one did not.'
              : ''),
        );
    }
  }
}
