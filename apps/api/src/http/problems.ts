import { InputProblem } from '@app/mle';
import { HttpException, HttpStatus } from '@nestjs/common';

/** Problem type URIs (RFC 9457 `type`); plain HTTP errors use `about:blank`. */
export const PROBLEM_TYPES = {
  validation: 'urn:mle-service:problem:validation-error',
  modelNotLoaded: 'urn:mle-service:problem:model-not-loaded',
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
  /** For validation problems: every defect, each with its path in the request. */
  errors?: InputProblem[];
  /** RFC 9457 extension members of a problem type (readiness: `checks`, `reasons`). */
  [extension: string]: unknown;
}

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
  constructor(errors: InputProblem[]) {
    super(
      HttpStatus.BAD_REQUEST,
      PROBLEM_TYPES.validation,
      'Invalid request',
      `The request has ${errors.length} problem${errors.length === 1 ? '' : 's'}; see errors. Fix them and send it again.`,
      errors,
    );
  }
}
