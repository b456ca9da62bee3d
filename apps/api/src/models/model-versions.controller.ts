import { ModelLifecycle } from '@app/mle/lifecycle';
import { ModelRegistry } from '@app/mle/registry';
import { Body, Controller, Get, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import {
  ApiBody,
  ApiOperation,
  ApiParam,
  ApiResponse,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import { OPS_TOKEN_SCHEME, STATUS_TOKEN_SCHEME } from '../http/openapi';
import { ValidationProblem } from '../http/problems';
import { OpsTokenGuard } from '../ops/ops-token.guard';
import { StatusTokenGuard } from '../retraining/status-token.guard';

const MODEL_PARAM = { name: 'model', description: 'A served model (GET /models lists them).' };
const MAX_REASON = 500;

/** `{ "version": "…", "reason"?: "…" }`, or the problems with it. */
function promotionBody(body: unknown): { version: string; reason?: string } {
  const problems: { path: string; message: string }[] = [];
  const record = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    problems.push({ path: 'body', message: 'must be an object such as { "version": "…" }' });
  } else {
    if (typeof record.version !== 'string' || record.version === '') {
      problems.push({
        path: 'version',
        message: 'is required: a version (GET /models/{model}/versions)',
      });
    }
    for (const key of Object.keys(record)) {
      if (key !== 'version' && key !== 'reason') {
        problems.push({ path: key.slice(0, 64), message: 'is not a field of this request' });
      }
    }
  }
  const reason = reasonOf(record.reason, problems);
  if (problems.length) throw new ValidationProblem(problems);
  return { version: record.version as string, reason };
}

function reasonOf(
  value: unknown,
  problems: { path: string; message: string }[],
): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length > MAX_REASON) {
    problems.push({ path: 'reason', message: `must be text of at most ${MAX_REASON} characters` });
    return undefined;
  }
  return value;
}

/** The versions of a model and what operators do with them: retrain, promote, roll back. */
@ApiTags('models')
@Controller('models/:model')
export class ModelVersionsController {
  constructor(
    private readonly registry: ModelRegistry,
    private readonly lifecycle: ModelLifecycle,
  ) {}

  @Get('versions')
  @UseGuards(StatusTokenGuard)
  @ApiSecurity({})
  @ApiSecurity(STATUS_TOKEN_SCHEME)
  @ApiSecurity(OPS_TOKEN_SCHEME)
  @ApiOperation({
    summary: 'Every kept version: role, training summary, gate report, promotions',
    description:
      'role: champion (served by every replica), shadow (scores live requests after the answer, never answered), candidate, retired. ' +
      'shadow compares champion and shadow on the same live inputs. Open unless RETRAINING_STATUS_TOKEN is set.',
  })
  @ApiParam(MODEL_PARAM)
  @ApiResponse({ status: 404, description: 'No such model.' })
  async versions(@Param('model') name: string) {
    const model = this.registry.get(name).name;
    const [versions, promotions, shadow] = await Promise.all([
      this.lifecycle.list(model),
      this.lifecycle.promotions(model),
      this.lifecycle.compareWithShadow(model),
    ]);
    return { model, mode: this.lifecycle.mode, versions, shadow: shadow ?? null, promotions };
  }

  @Post('retrain')
  @HttpCode(200)
  @UseGuards(OpsTokenGuard)
  @ApiSecurity(OPS_TOKEN_SCHEME)
  @ApiOperation({
    summary: 'Train a challenger now, gate it against the champion, and put it in shadow',
    description:
      'Fitted on the labelled rows of the last RETRAIN_WINDOW_DAYS, judged on the latest of them (by time) beside the champion. ' +
      'In RETRAINING_MODE=auto a challenger that passes the gate is promoted; otherwise it scores in shadow until promoted.',
  })
  @ApiParam(MODEL_PARAM)
  @ApiResponse({ status: 401, description: 'Missing or wrong ops token.' })
  @ApiResponse({ status: 404, description: 'No such model.' })
  @ApiResponse({
    status: 409,
    description: 'A retrain of this model is running, or too few labelled rows in the window.',
  })
  retrain(@Param('model') name: string) {
    return this.lifecycle.retrain(name, 'manual', 'ops');
  }

  @Post('promote')
  @HttpCode(200)
  @UseGuards(OpsTokenGuard)
  @ApiSecurity(OPS_TOKEN_SCHEME)
  @ApiOperation({
    summary: 'Make a version the champion of every replica',
    description:
      'The version is verified first; the champion it replaces is scored in shadow for SHADOW_DAYS. Every replica serves it within seconds.',
  })
  @ApiParam(MODEL_PARAM)
  @ApiBody({
    schema: {
      type: 'object',
      required: ['version'],
      properties: {
        version: { type: 'string' },
        reason: { type: 'string', maxLength: MAX_REASON },
      },
    },
  })
  @ApiResponse({ status: 400, description: 'The body is not { "version": … }.' })
  @ApiResponse({ status: 401, description: 'Missing or wrong ops token.' })
  @ApiResponse({ status: 404, description: 'No such model, or no such version.' })
  @ApiResponse({
    status: 409,
    description: 'The version is damaged or already the champion; the champion keeps serving.',
  })
  promote(@Param('model') name: string, @Body() body: unknown) {
    const { version, reason } = promotionBody(body);
    return this.lifecycle.promote(name, version, {
      actor: 'ops',
      reason: reason ?? 'promoted through POST /models/{model}/promote',
    });
  }

  @Post('rollback')
  @HttpCode(200)
  @UseGuards(OpsTokenGuard)
  @ApiSecurity(OPS_TOKEN_SCHEME)
  @ApiOperation({
    summary: 'Serve the previous champion again, on every replica',
    description: 'The champion it replaces is retired. Optional body: { "reason": "…" }.',
  })
  @ApiParam(MODEL_PARAM)
  @ApiResponse({ status: 401, description: 'Missing or wrong ops token.' })
  @ApiResponse({ status: 404, description: 'No such model.' })
  @ApiResponse({ status: 409, description: 'Nothing to roll back to; the champion keeps serving.' })
  rollback(@Param('model') name: string, @Body() body: unknown) {
    const problems: { path: string; message: string }[] = [];
    const reason =
      typeof body === 'object' && body !== null
        ? reasonOf((body as Record<string, unknown>).reason, problems)
        : undefined;
    if (problems.length) throw new ValidationProblem(problems);
    return this.lifecycle.rollback(name, {
      actor: 'ops',
      reason: reason ?? 'rolled back through POST /models/{model}/rollback',
    });
  }
}
