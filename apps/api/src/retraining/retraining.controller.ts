import { EvaluationScheduler, JobRun, MLE_OPTIONS, MleOptions, RetrainingMonitor } from '@app/mle';
import {
  Controller,
  Get,
  Headers,
  HttpCode,
  HttpStatus,
  Inject,
  Post,
  UseGuards,
} from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { PROBLEM_TYPES, ProblemException } from '../http/problems';
import { OpsTokenGuard } from '../ops/ops-token.guard';
import { StatusTokenGuard } from './status-token.guard';

/**
 * The last run as anyone may see it: its state and times. What it failed on and where it ran
 * (error, host) are for operators. Picked field by field, so a field added to job runs later is
 * not published by default.
 */
function publicRun({ id, trigger, status, scheduledFor, startedAt, finishedAt }: JobRun) {
  return { id, trigger, status, scheduledFor, startedAt, finishedAt };
}

@ApiTags('retraining')
@Controller('retraining')
export class RetrainingController {
  constructor(
    private readonly monitor: RetrainingMonitor,
    private readonly scheduler: EvaluationScheduler,
    private readonly access: StatusTokenGuard,
    @Inject(MLE_OPTIONS) private readonly options: MleOptions,
  ) {}

  @Get('status')
  @UseGuards(StatusTokenGuard)
  @ApiBearerAuth()
  @ApiOperation({
    summary:
      'Should the model be retrained? The latest evaluation, its trend, drift and the job runs',
    description:
      'recommendation: RETRAIN when accuracy is below the threshold on at least the minimum of labelled predictions; INSUFFICIENT_DATA below that minimum; OK otherwise. ' +
      'view: public shows the last run without its error and host; sending RETRAINING_STATUS_TOKEN or OPS_TOKEN gives the full view. ' +
      '503 (problem+json) while the database does not answer.',
  })
  @ApiResponse({ status: 503, description: 'The database does not answer; try again later.' })
  async status(@Headers('authorization') authorization?: string) {
    const full = this.access.grantsDetails(authorization);
    const { monitoring } = this.options;
    const [evaluations, lastRun] = await Promise.all([
      this.monitor.evaluations(monitoring.trendLength),
      this.monitor.lastRun(),
    ]);
    const latest = evaluations[0];
    return {
      view: full ? 'full' : 'public',
      recommendation: latest?.recommendation ?? 'INSUFFICIENT_DATA',
      reasons: latest?.reasons ?? ['no evaluation has run yet'],
      threshold: monitoring.accuracyThreshold,
      minLabelled: monitoring.minLabelled,
      windowDays: monitoring.windowDays,
      latest: latest ?? null,
      trend: evaluations.map((e) => ({
        evaluatedAt: e.evaluatedAt,
        modelVersion: e.modelVersion ?? null,
        recommendation: e.recommendation,
        accuracy: e.accuracy ?? null,
        labelled: e.labelled,
      })),
      lastRun: lastRun ? (full ? lastRun : publicRun(lastRun)) : null,
      running: this.monitor.running,
      schedule: this.scheduler.schedule ?? null,
      nextRun: this.scheduler.nextRun()?.toISOString() ?? null,
    };
  }

  @Post('evaluate')
  @HttpCode(200)
  @UseGuards(OpsTokenGuard)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Ingest the prediction logs and evaluate now; answers the evaluation' })
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
      case 'completed':
        return outcome.evaluation;
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
