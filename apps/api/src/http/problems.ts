import { InputProblem } from '@app/mle/serving';
import { HttpException, HttpStatus } from '@nestjs/common';

/** Problem type URIs (RFC 9457 `type`); plain HTTP errors use `about:blank`. */
export const PROBLEM_TYPES = {
  validation: 'urn:mle-service:problem:validation-error',
  modelNotLoaded: 'urn:mle-service:problem:model-not-loaded',
  unknownModel: 'urn:mle-service:problem:unknown-model',
  unknownVersion: 'urn:mle-service:problem:unknown-version',
  notEnoughLabels: 'urn:mle-service:problem:not-enough-labels',
  opsDisabled: 'urn:mle-service:problem:ops-disabled',
  unauthorized: 'urn:mle-service:problem:unauthorized',
  conflict: 'urn:mle-service:problem:conflict',
  evaluationFailed: 'urn:mle-service:problem:evaluation-failed',
  notReady: 'urn:mle-service:problem:not-ready',
  databaseUnavailable: 'urn:mle-service:problem:database-unavailable',
} as const;

/** An RFC 9457 problem detail, as every error of the API is answered. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  requestId?: string;
  /** For validation problems: the defects (the first MAX_LISTED_PROBLEMS), each with its path. */
  errors?: InputProblem[];
  /** For validation problems: how many defects there are beyond those listed in `errors`. */
  omittedErrors?: number;
  /** RFC 9457 extension members of a problem type (readiness: `checks`, `reasons`). */
  [extension: string]: unknown;
}

/** Most defects listed in one validation answer; the rest are counted in `omittedErrors`. */
export const MAX_LISTED_PROBLEMS = 100;

/** An HTTP error that knows its problem type; the filter renders it as problem+json. */
export class ProblemException extends HttpException {
  constructor(
    status: HttpStatus,
    readonly problemType: string,
    readonly title: string,
    detail: string,
    readonly errors?: InputProblem[],
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(detail, status);
  }
}

export class ValidationProblem extends ProblemException {
  readonly omittedErrors: number;

  constructor(errors: InputProblem[]) {
    const omitted = Math.max(0, errors.length - MAX_LISTED_PROBLEMS);
    super(
      HttpStatus.BAD_REQUEST,
      PROBLEM_TYPES.validation,
      'Invalid request',
      `The request has ${errors.length} problem${errors.length === 1 ? '' : 's'}; see errors` +
        (omitted > 0 ? ` (the first ${MAX_LISTED_PROBLEMS}; omittedErrors counts the rest)` : '') +
        '. Fix them and send it again.',
      omitted > 0 ? errors.slice(0, MAX_LISTED_PROBLEMS) : errors,
    );
    this.omittedErrors = omitted;
  }
}
