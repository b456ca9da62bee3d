import type { JobRun } from '../monitoring/repositories/job-run.repository';

/** `version` is not a kept version of `model`. */
export class UnknownVersionError extends Error {
  override name = 'UnknownVersionError';

  constructor(
    readonly model: string,
    readonly version: string,
    readonly known: readonly string[],
  ) {
    super(`${model} has no version "${version.slice(0, 64)}"`);
  }
}

/** A retrain of `model` is running (in this replica or another). */
export class RetrainInProgressError extends Error {
  override name = 'RetrainInProgressError';

  constructor(
    readonly model: string,
    readonly run: JobRun | undefined,
  ) {
    super(`a retrain of ${model} is already running`);
  }
}

/** The roles do not allow the change asked for (nothing to roll back to, already champion…). */
export class RoleConflictError extends Error {
  override name = 'RoleConflictError';

  constructor(
    readonly model: string,
    readonly why: string,
  ) {
    super(`${model}: ${why}`);
  }
}
