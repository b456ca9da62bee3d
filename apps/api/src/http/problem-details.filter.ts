import { RetrainInProgressError, RoleConflictError, UnknownVersionError } from '@app/mle/lifecycle';
import { ModelArtifactError, ModelNotLoadedError, UnknownModelError } from '@app/mle/registry';
import { NoTrainingDataError, NoTrainingSourceError } from '@app/mle/training';
import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
  NotFoundException,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import { STATUS_CODES } from 'node:http';
import { isDatabaseUnavailable } from './database-unavailable';
import { PROBLEM_TYPES, ProblemDetails, ProblemException, ValidationProblem } from './problems';

const METHODS: HTTPMethods[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

// Errors raised before a handler runs (body parsing, limits), with what to do next.
const BY_STATUS: Record<number, string> = {
  413: 'The request body is larger than the limit (BODY_LIMIT). Send fewer instances per request.',
  415: 'Send the body as JSON with the header Content-Type: application/json.',
};
const FASTIFY_ERRORS: Record<string, { status: number; detail: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, detail: BY_STATUS[413] },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, detail: BY_STATUS[415] },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    status: 400,
    detail: 'The body is empty. Send a JSON object; see /docs for examples.',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    status: 400,
    detail: 'The Content-Length header does not match the body.',
  },
};

// A client may retry a request the database could not serve after this many seconds.
const DATABASE_RETRY_AFTER_SECONDS = 30;

interface FastifyLikeError {
  code?: string;
  statusCode?: number;
  message?: string;
}

/**
 * Renders every error as `application/problem+json` (RFC 9457). Known 4xx keep their status and
 * say what to do; an unknown error is logged and answered 500 without internals.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const problem = this.toProblem(exception, request);
    problem.instance = request.url.split('?')[0].slice(0, 512);
    problem.requestId = request.id;
    if (problem.status === 405) {
      void reply.header('allow', this.allowedMethods(request).join(', '));
    }
    if (problem.type === PROBLEM_TYPES.databaseUnavailable) {
      void reply.header('retry-after', String(DATABASE_RETRY_AFTER_SECONDS));
    }
    void reply
      .status(problem.status)
      .header('content-type', 'application/problem+json')
      .send(problem);
  }

  private toProblem(exception: unknown, request: FastifyRequest): ProblemDetails {
    if (exception instanceof ProblemException) {
      return {
        type: exception.problemType,
        title: exception.title,
        status: exception.getStatus(),
        detail: exception.message,
        ...(exception.errors ? { errors: exception.errors } : {}),
        ...(exception instanceof ValidationProblem && exception.omittedErrors > 0
          ? { omittedErrors: exception.omittedErrors }
          : {}),
        ...exception.extensions,
      };
    }
    if (exception instanceof ModelNotLoadedError) {
      const { model } = exception;
      return {
        type: PROBLEM_TYPES.modelNotLoaded,
        title: 'Model not loaded',
        status: HttpStatus.SERVICE_UNAVAILABLE,
        detail: `No version of ${model} is loaded. Train one (npm run train -- --model ${model}), then POST /models/${model}/reload.`,
      };
    }
    if (exception instanceof ModelArtifactError) {
      const { model } = exception;
      return {
        type: PROBLEM_TYPES.conflict,
        title: 'Model version not usable',
        status: HttpStatus.CONFLICT,
        detail:
          `${exception.message} Train a new version (npm run train -- --model ${model}) or point ` +
          `MODEL_DIR/${model}/current at another version. The model being served is unchanged.`,
      };
    }
    if (exception instanceof UnknownModelError) {
      return {
        type: PROBLEM_TYPES.unknownModel,
        title: 'Unknown model',
        status: HttpStatus.NOT_FOUND,
        detail: `There is no model "${exception.model.slice(0, 64)}" here. Served models: ${exception.served.join(', ')} (GET /models).`,
        models: exception.served,
      };
    }
    const lifecycle = lifecycleProblem(exception);
    if (lifecycle) return lifecycle;
    if (exception instanceof NotFoundException) {
      const allowed = this.allowedMethods(request);
      if (allowed.length > 0) {
        return plain(
          405,
          `${request.method} is not allowed on this path; use ${allowed.join(' or ')}.`,
        );
      }
      return plain(
        404,
        `There is no ${request.method} ${request.url.split('?')[0].slice(0, 200)}. See /docs for the API.`,
      );
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      return plain(status, BY_STATUS[status] ?? exception.message);
    }
    if (isDatabaseUnavailable(exception)) {
      // Not a fault of ours to report with a stack: the operator sees it in readiness too.
      this.logger.warn(
        `Database unavailable on ${request.method} ${request.url} (${request.id}): ${exception instanceof Error ? exception.message : String(exception)}`,
      );
      return {
        type: PROBLEM_TYPES.databaseUnavailable,
        title: 'Database unavailable',
        status: HttpStatus.SERVICE_UNAVAILABLE,
        detail:
          'The database does not answer, so this cannot be served now: try again in a minute. ' +
          'If it persists, check that PostgreSQL runs and is reachable at DATABASE_URL ' +
          '(GET /health/ready shows the state; predictions are still served).',
      };
    }
    const error = exception as FastifyLikeError;
    const known = error?.code ? FASTIFY_ERRORS[error.code] : undefined;
    if (known) return plain(known.status, known.detail);
    if (
      typeof error?.statusCode === 'number' &&
      error.statusCode >= 400 &&
      error.statusCode < 500
    ) {
      // Fastify's JSON parser: syntax errors and forbidden __proto__/constructor keys.
      return plain(
        error.statusCode,
        `${error.message ?? 'Bad request'}. Send a valid JSON object; see /docs.`,
      );
    }
    this.logger.error(
      `Unhandled error on ${request.method} ${request.url} (${request.id})`,
      exception instanceof Error ? exception.stack : String(exception),
    );
    return plain(
      500,
      `Something failed on our side. Quote request id ${request.id} when reporting it.`,
    );
  }

  private allowedMethods(request: FastifyRequest): HTTPMethods[] {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    const url = request.url.split('?')[0];
    return METHODS.filter(
      (method) => method !== request.method && fastify.hasRoute({ url, method }),
    );
  }
}

function plain(status: number, detail: string): ProblemDetails {
  return { type: 'about:blank', title: STATUS_CODES[status] ?? 'Error', status, detail };
}

/** The closed loop's errors: an unknown version, a retrain already running, too few labels. */
function lifecycleProblem(exception: unknown): ProblemDetails | undefined {
  if (exception instanceof UnknownVersionError) {
    const { model, known } = exception;
    return {
      type: PROBLEM_TYPES.unknownVersion,
      title: 'Unknown model version',
      status: HttpStatus.NOT_FOUND,
      detail: `${exception.message}. Kept versions: ${known.slice(-20).join(', ') || 'none'} (GET /models/${model}/versions).`,
      versions: known,
    };
  }
  if (exception instanceof RetrainInProgressError) {
    const { run } = exception;
    return {
      type: PROBLEM_TYPES.conflict,
      title: 'Retrain in progress',
      status: HttpStatus.CONFLICT,
      detail:
        `A retrain of ${exception.model} is already running` +
        (run ? ` (job run ${run.id}, started ${run.startedAt})` : '') +
        `; its challenger appears in GET /models/${exception.model}/versions when it is done.`,
      ...(run ? { run: { id: run.id, trigger: run.trigger, startedAt: run.startedAt } } : {}),
    };
  }
  if (exception instanceof NoTrainingDataError) {
    const { model, labelled, rows } = exception;
    return {
      type: PROBLEM_TYPES.notEnoughLabels,
      title: 'Not enough labelled rows',
      status: HttpStatus.CONFLICT,
      detail:
        `${labelled} labelled rows of ${model} (of ${rows} rows) in the retrain window: fewer than MIN_LABELED. ` +
        'Wait for labels to arrive, widen RETRAIN_WINDOW_DAYS or lower MIN_LABELED. The champion keeps serving.',
      labelled,
      rows,
    };
  }
  if (exception instanceof NoTrainingSourceError) {
    return plainConflict('No training data', `${exception.message}: it cannot be retrained here.`);
  }
  if (exception instanceof RoleConflictError) {
    return plainConflict(
      'Version roles conflict',
      `${exception.message}. GET /models/${exception.model}/versions shows the roles; the champion keeps serving.`,
    );
  }
  return undefined;
}

function plainConflict(title: string, detail: string): ProblemDetails {
  return { type: PROBLEM_TYPES.conflict, title, status: HttpStatus.CONFLICT, detail };
}
