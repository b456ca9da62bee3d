import 'reflect-metadata';
import { RETRAINING_MODES, RetrainingMode } from '@app/mle/lifecycle';
import { minimumRetentionDays } from '@app/mle/monitoring';
import { plainToInstance, Transform } from 'class-transformer';
import { validateCronExpression } from 'cron';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  MinLength,
  IsNumber,
  IsUrl,
  Validate,
  ValidatorConstraint,
  ValidatorConstraintInterface,
  Max,
  Min,
  validateSync,
  ValidationArguments,
  ValidationError,
} from 'class-validator';
import { availableParallelism } from 'node:os';
import { showSetting } from './mask-secrets';

export const NODE_ENVS = ['development', 'production', 'test'] as const;
export type NodeEnv = (typeof NODE_ENVS)[number];

// Empty strings count as unset, so `FOO=` in an env file means "use the default".
const emptyToUndefined = ({ value }: { value: unknown }): unknown =>
  value === '' ? undefined : value;

@ValidatorConstraint({ name: 'isCronOrOff' })
class IsCronOrOff implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return value === 'off' || (typeof value === 'string' && validateCronExpression(value).valid);
  }
  defaultMessage(): string {
    return 'must be a cron expression such as "0 2 * * *", or off';
  }
}

@ValidatorConstraint({ name: 'isTimeZone' })
class IsTimeZone implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    try {
      return (
        typeof value === 'string' && Boolean(new Intl.DateTimeFormat('en', { timeZone: value }))
      );
    } catch {
      return false;
    }
  }
  defaultMessage(): string {
    return 'must be an IANA time zone such as UTC or Europe/Berlin';
  }
}

@ValidatorConstraint({ name: 'isAtMostRequestTimeout' })
class IsAtMostRequestTimeout implements ValidatorConstraintInterface {
  validate(value: unknown, args: ValidationArguments): boolean {
    return Number(value) <= Number((args.object as Env).REQUEST_TIMEOUT_MS);
  }
  defaultMessage(): string {
    return 'must not be longer than REQUEST_TIMEOUT_MS';
  }
}

@ValidatorConstraint({ name: 'isAtLeastWindowPlusLabelDelay' })
class IsAtLeastWindowPlusLabelDelay implements ValidatorConstraintInterface {
  validate(value: unknown, args: ValidationArguments): boolean {
    return Number(value) >= minimumRetentionDays(monitoringWindow(args.object as Env));
  }
  defaultMessage(args: ValidationArguments): string {
    const env = args.object as Env;
    return (
      `must be at least ${minimumRetentionDays(monitoringWindow(env))} days: ` +
      `EVALUATION_WINDOW_DAYS (${env.EVALUATION_WINDOW_DAYS}) + LABEL_DELAY_DAYS ` +
      `(${env.LABEL_DELAY_DAYS}), so that every prediction an evaluation counts is kept until its label arrives`
    );
  }
}

function monitoringWindow(env: Env) {
  return { windowDays: env.EVALUATION_WINDOW_DAYS, labelDelayDays: env.LABEL_DELAY_DAYS };
}

// A token or password pasted with a space around it never matches what a client sends.
const NO_SURROUNDING_SPACE = /^\S(.*\S)?$/s;
const NO_SURROUNDING_SPACE_MESSAGE = {
  message: 'must not begin or end with a space (remove the space, or quote the value)',
};

// class-validator runs decorators bottom-up and stops at the first failure: the type check sits
// nearest the property so "abc" is reported as not an integer rather than out of range.
/**
 * Every environment variable the service reads, with its default. Validated once at start-up
 * (`validateEnv`); a bad value stops the process with a message that names the variable.
 */
export class Env {
  @IsIn(NODE_ENVS)
  NODE_ENV: NodeEnv = 'development';

  @Min(0)
  @Max(65535)
  @IsInt()
  PORT: number = 3000;

  @IsString()
  @IsNotEmpty()
  HOST: string = '0.0.0.0';

  /**
   * Worker processes behind the one port (node:cluster); `auto` is one per core. Each has its own
   * prediction-log file set; SIGTERM to the primary drains them all.
   */
  @Transform(({ obj, value }: { obj: Record<string, unknown>; value: unknown }) =>
    obj.WORKERS === 'auto' ? availableParallelism() : obj.WORKERS === '' ? 1 : value,
  )
  @Min(1, { message: 'WORKERS must be 1 or more, or auto (one per core)' })
  @Max(64)
  @IsInt({ message: 'WORKERS must be a whole number, or auto (one per core)' })
  WORKERS: number = 1;

  /** postgres://user:password@host:port/db. Unset: an embedded PostgreSQL is started. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/\S+$/, {
    message: 'must be a postgres:// or postgresql:// URL, without spaces',
  })
  DATABASE_URL?: string;

  @IsString()
  @IsNotEmpty()
  EMBEDDED_PG_DIR: string = '.data/postgres';

  @Min(1024)
  @Max(65535)
  @IsInt()
  EMBEDDED_PG_PORT: number = 54329;

  @IsString()
  @IsNotEmpty()
  LOG_DIR: string = '.data/logs';

  @IsString()
  @IsNotEmpty()
  MODEL_DIR: string = '.data/models';

  /** Bearer token of the mutating ops endpoints (POST /model/reload…). Unset: they are disabled. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(NO_SURROUNDING_SPACE, NO_SURROUNDING_SPACE_MESSAGE)
  @MinLength(16, { message: 'must be at least 16 characters (use e.g. `openssl rand -hex 32`)' })
  OPS_TOKEN?: string;

  /** `off` stops prediction logging (benchmarks only: the retraining signal needs the log). */
  @IsIn(['on', 'off'])
  PREDICTION_LOG: 'on' | 'off' = 'on';

  /**
   * Seconds between two ingestions of this process's LOG_DIR into PostgreSQL (the serving
   * process only; with WORKERS > 1, the primary). 0: no periodic ingestion, and none at shutdown;
   * the evaluation still ingests before it evaluates.
   */
  @Min(0)
  @Max(86_400)
  @IsInt()
  INGEST_INTERVAL: number = 60;

  /** Rotate a prediction log file above this size: a number with k, m or g. */
  @Matches(/^\d+[kmg]$/, { message: 'must be a size such as 100m, 512k or 1g' })
  LOG_MAX_SIZE: string = '100m';

  /** Days rotated (gzipped) prediction logs are kept. */
  @Min(1)
  @Max(3650)
  @IsInt()
  LOG_RETENTION_DAYS: number = 30;

  /** Most instances in one batch request. */
  @Min(1)
  @Max(100_000)
  @IsInt()
  MAX_BATCH: number = 1000;

  /** Largest request body in bytes (larger: 413). */
  @Min(1024)
  @Max(100 * 1024 * 1024)
  @IsInt()
  BODY_LIMIT: number = 1024 * 1024;

  /**
   * Bytes of a refused body (over BODY_LIMIT, or refused before it is parsed) read and discarded
   * after the answer, so a client that writes the whole body before reading still sees the 413.
   * A longer body: the connection is closed.
   */
  @Min(1024)
  @Max(1024 * 1024 * 1024)
  @IsInt()
  BODY_DRAIN_LIMIT: number = 16 * 1024 * 1024;

  /** Milliseconds a client has to send a whole request (headers and body); then 408. */
  @Min(100)
  @Max(3_600_000)
  @IsInt()
  REQUEST_TIMEOUT_MS: number = 30_000;

  /** Milliseconds a client has to send the request headers; then 408. At most REQUEST_TIMEOUT_MS. */
  @Validate(IsAtMostRequestTimeout)
  @Min(100)
  @Max(3_600_000)
  @IsInt()
  HEADERS_TIMEOUT_MS: number = 10_000;

  /** RETRAIN when the served version's accuracy is below this (on at least MIN_LABELED labels). */
  @Min(0)
  @Max(1)
  @IsNumber()
  ACCURACY_THRESHOLD: number = 0.7;

  /** Fewer labelled predictions than this in the window: INSUFFICIENT_DATA. */
  @Min(1)
  @Max(100_000_000)
  @IsInt()
  MIN_LABELED: number = 200;

  /**
   * What a RETRAIN leads to: `recommend` (say so), `challenger` (train one and score it in
   * shadow for an operator to promote), `auto` (promote one that passes the gate; roll back).
   */
  @IsIn(RETRAINING_MODES)
  RETRAINING_MODE: RetrainingMode = 'challenger';

  /** A challenger learns from the labelled rows of the last this-many days. */
  @Min(1)
  @Max(3650)
  @IsInt()
  RETRAIN_WINDOW_DAYS: number = 90;

  /** Days the previous champion is scored in shadow after a promotion. */
  @Min(0)
  @Max(3650)
  @IsInt()
  SHADOW_DAYS: number = 30;

  /** Days of predictions each evaluation looks at. */
  @Min(1)
  @Max(3650)
  @IsInt()
  EVALUATION_WINDOW_DAYS: number = 30;

  /** How long labels take to arrive after a prediction, in days. */
  @Min(0)
  @Max(3650)
  @IsInt()
  LABEL_DELAY_DAYS: number = 30;

  /**
   * Days of logged predictions kept in the `predictions` table: each night, the UTC days' partitions
   * older than this are dropped. At least EVALUATION_WINDOW_DAYS + LABEL_DELAY_DAYS.
   */
  @Validate(IsAtLeastWindowPlusLabelDelay)
  @Max(36_500)
  @IsInt()
  PREDICTION_RETENTION_DAYS: number = 400;

  /** Cron expression of the nightly evaluation, or `off` (then only CLI and POST run it). */
  @Validate(IsCronOrOff)
  EVALUATION_CRON: string = '0 2 * * *';

  /** IANA time zone of EVALUATION_CRON. */
  @Validate(IsTimeZone)
  EVALUATION_TZ: string = 'UTC';

  /**
   * Seconds an evaluation waits for a table lock (an analyst's `LOCK TABLE sales`) before it
   * fails, naming the lock and its holder; the next run catches up.
   */
  @Min(0.1)
  @Max(3600)
  @IsNumber()
  EVALUATION_LOCK_TIMEOUT: number = 30;

  /** Receives a JSON POST when RETRAIN is recommended. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  RETRAINING_WEBHOOK_URL?: string;

  /** Each webhook attempt gives up after this many milliseconds (3 attempts, backing off). */
  @Min(100)
  @Max(60_000)
  @IsInt()
  RETRAINING_WEBHOOK_TIMEOUT_MS: number = 5000;

  /** When set, GET /retraining/status requires `Authorization: Bearer <token>`. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(NO_SURROUNDING_SPACE, NO_SURROUNDING_SPACE_MESSAGE)
  @MinLength(16, { message: 'must be at least 16 characters (use e.g. `openssl rand -hex 32`)' })
  RETRAINING_STATUS_TOKEN?: string;

  /** Population Stability Index from which drift is moderate, and significant. */
  @Min(0)
  @IsNumber()
  DRIFT_PSI_MODERATE: number = 0.1;

  @Min(0)
  @IsNumber()
  DRIFT_PSI_SIGNIFICANT: number = 0.25;

  /** Model versions kept besides the current one when a new one is trained. */
  @Min(0)
  @Max(1000)
  @IsInt()
  MODEL_KEEP_VERSIONS: number = 5;

  /**
   * Apply pending migrations at start-up, one replica at a time (a PostgreSQL lock). `false`: an
   * external database with pending migrations stops the start, and migrations run as a step.
   */
  @Transform(({ obj }: { obj: Record<string, unknown> }) => {
    const value = obj.MIGRATE_ON_START;
    // Empty counts as unset (the default); anything but true/false is left for IsBoolean to name.
    if (value === undefined || value === '' || value === 'true' || value === true) return true;
    return value === 'false' || value === false ? false : value;
  })
  @IsBoolean({ message: 'must be true or false' })
  MIGRATE_ON_START: boolean = true;

  /** Password of the `analyst` database role, set when migrations run and by `analyst:password`. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(NO_SURROUNDING_SPACE, NO_SURROUNDING_SPACE_MESSAGE)
  @IsString()
  ANALYST_PASSWORD?: string;

  /** Rows of demo data seeded when the embedded database starts empty. 0 turns it off. */
  @Min(0)
  @Max(5_000_000)
  @IsInt()
  DEMO_ROWS: number = 20_000;
}

export class EnvValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `Invalid environment configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}\n` +
        'Fix these variables (see the configuration table in README.md) and start again.',
    );
    this.name = 'EnvValidationError';
  }
}

function describe(error: ValidationError, raw: Record<string, unknown>): string {
  const reasons = Object.values(error.constraints ?? {}).map((reason) =>
    reason.replace(new RegExp(`^${error.property} `), ''),
  );
  // Show what was set, not what implicit conversion made of it ("abc", not NaN), and never a
  // secret: tokens and passwords by their length, URLs with their password masked.
  return `${showSetting(error.property, raw[error.property])}: ${reasons.join('; ')}`;
}

/** Validates a raw environment (process.env); throws EnvValidationError naming each bad variable. */
export function validateEnv(raw: Record<string, unknown>): Env {
  const env = plainToInstance(Env, raw, {
    enableImplicitConversion: true,
    exposeDefaultValues: true,
  });
  const errors = validateSync(env, { forbidUnknownValues: false, stopAtFirstError: true });
  if (errors.length > 0) {
    throw new EnvValidationError(errors.map((error) => describe(error, raw)));
  }
  return env;
}

/** The validated configuration of this process. */
export function loadEnv(): Env {
  return validateEnv(process.env);
}
