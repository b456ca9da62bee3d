import { availableParallelism } from 'node:os';
import { EnvValidationError, validateEnv } from './env.validation';

describe(validateEnv.name, () => {
  it('should apply the documented defaults when nothing is set', () => {
    const env = validateEnv({});
    expect(env).toMatchObject({
      PORT: 3000,
      EMBEDDED_PG_DIR: '.data/postgres',
      LOG_DIR: '.data/logs',
      MODEL_DIR: '.data/models',
      DEMO_ROWS: 20_000,
    });
    expect(env.DATABASE_URL).toBeUndefined();
  });

  it('should convert numbers and treat an empty DATABASE_URL as unset', () => {
    const env = validateEnv({ PORT: '8080', DATABASE_URL: '' });
    expect(env.PORT).toBe(8080);
    expect(env.DATABASE_URL).toBeUndefined();
  });

  it('should name every bad variable, its value and the reason when values are invalid', () => {
    const validate = () =>
      validateEnv({ PORT: 'abc', DATABASE_URL: 'mysql://x', NODE_ENV: 'staging' });
    expect(validate).toThrow(EnvValidationError);
    try {
      validate();
    } catch (error) {
      const { message, problems } = error as EnvValidationError;
      expect(problems).toHaveLength(3);
      expect(message).toContain('PORT="abc": must be an integer number');
      expect(message).toContain(
        'DATABASE_URL="mysql://x": must be a postgres:// or postgresql:// URL',
      );
      expect(message).toContain('NODE_ENV="staging"');
      expect(message).toContain('README.md');
    }
  });

  it('should refuse a port out of range', () => {
    expect(() => validateEnv({ PORT: '70000' })).toThrow(
      /PORT="70000": must not be greater than 65535/,
    );
  });

  it('should read EVALUATION_LOCK_TIMEOUT in seconds, 30 when unset, and refuse 0', () => {
    expect(validateEnv({}).EVALUATION_LOCK_TIMEOUT).toBe(30);
    expect(validateEnv({ EVALUATION_LOCK_TIMEOUT: '0.5' }).EVALUATION_LOCK_TIMEOUT).toBe(0.5);
    expect(() => validateEnv({ EVALUATION_LOCK_TIMEOUT: '0' })).toThrow(
      /EVALUATION_LOCK_TIMEOUT="0": must not be less than 0.1/,
    );
  });

  it('should ingest every 60 s by default, take 0 as off, and refuse a negative or a fraction', () => {
    expect(validateEnv({}).INGEST_INTERVAL).toBe(60);
    expect(validateEnv({ INGEST_INTERVAL: '0' }).INGEST_INTERVAL).toBe(0);
    expect(validateEnv({ INGEST_INTERVAL: '5' }).INGEST_INTERVAL).toBe(5);
    expect(() => validateEnv({ INGEST_INTERVAL: '-1' })).toThrow(
      /INGEST_INTERVAL="-1": must not be less than 0/,
    );
    expect(() => validateEnv({ INGEST_INTERVAL: '1.5' })).toThrow(
      /INGEST_INTERVAL="1.5": must be an integer number/,
    );
  });

  it('should run one worker by default, one per core with auto, and refuse 0 or a word', () => {
    expect(validateEnv({}).WORKERS).toBe(1);
    expect(validateEnv({ WORKERS: '2' }).WORKERS).toBe(2);
    expect(validateEnv({ WORKERS: 'auto' }).WORKERS).toBe(availableParallelism());
    expect(() => validateEnv({ WORKERS: '0' })).toThrow(
      /WORKERS="0": must be 1 or more, or auto \(one per core\)/,
    );
    expect(() => validateEnv({ WORKERS: 'many' })).toThrow(
      /WORKERS="many": must be a whole number, or auto/,
    );
  });

  it('should train challengers by default, on 90 days, and refuse an unknown RETRAINING_MODE', () => {
    expect(validateEnv({})).toMatchObject({
      RETRAINING_MODE: 'challenger',
      RETRAIN_WINDOW_DAYS: 90,
      SHADOW_DAYS: 30,
    });
    expect(validateEnv({ RETRAINING_MODE: 'auto' }).RETRAINING_MODE).toBe('auto');
    expect(() => validateEnv({ RETRAINING_MODE: 'always' })).toThrow(
      /RETRAINING_MODE="always": .*recommend, challenger, auto/,
    );
    expect(() => validateEnv({ RETRAIN_WINDOW_DAYS: '0' })).toThrow(/RETRAIN_WINDOW_DAYS="0"/);
  });

  it('should refuse a headers timeout longer than the request timeout', () => {
    expect(() => validateEnv({ REQUEST_TIMEOUT_MS: '1000', HEADERS_TIMEOUT_MS: '2000' })).toThrow(
      /HEADERS_TIMEOUT_MS="2000": must not be longer than REQUEST_TIMEOUT_MS/,
    );
    expect(validateEnv({ REQUEST_TIMEOUT_MS: '1000', HEADERS_TIMEOUT_MS: '1000' })).toMatchObject({
      REQUEST_TIMEOUT_MS: 1000,
      HEADERS_TIMEOUT_MS: 1000,
    });
  });

  it('should keep predictions 400 days and count 30 days of label delay by default', () => {
    expect(validateEnv({})).toMatchObject({ PREDICTION_RETENTION_DAYS: 400, LABEL_DELAY_DAYS: 30 });
    expect(validateEnv({ PREDICTION_RETENTION_DAYS: '60' })).toMatchObject({
      PREDICTION_RETENTION_DAYS: 60,
    });
  });

  it('should refuse a retention shorter than the evaluation window plus the label delay, naming the minimum', () => {
    expect(() => validateEnv({ PREDICTION_RETENTION_DAYS: '59' })).toThrow(
      /PREDICTION_RETENTION_DAYS="59": must be at least 60 days: EVALUATION_WINDOW_DAYS \(30\) \+ LABEL_DELAY_DAYS \(30\)/,
    );
    expect(() =>
      validateEnv({
        PREDICTION_RETENTION_DAYS: '100',
        EVALUATION_WINDOW_DAYS: '90',
        LABEL_DELAY_DAYS: '14',
      }),
    ).toThrow(/PREDICTION_RETENTION_DAYS="100": must be at least 104 days/);
    expect(() => validateEnv({ PREDICTION_RETENTION_DAYS: 'a year' })).toThrow(
      /PREDICTION_RETENTION_DAYS="a year": must be an integer number/,
    );
  });

  it('should migrate on start unless MIGRATE_ON_START is false, and refuse other values', () => {
    expect(validateEnv({}).MIGRATE_ON_START).toBe(true);
    expect(validateEnv({ MIGRATE_ON_START: '' }).MIGRATE_ON_START).toBe(true);
    expect(validateEnv({ MIGRATE_ON_START: 'true' }).MIGRATE_ON_START).toBe(true);
    expect(validateEnv({ MIGRATE_ON_START: 'false' }).MIGRATE_ON_START).toBe(false);
    expect(() => validateEnv({ MIGRATE_ON_START: 'no' })).toThrow(
      /MIGRATE_ON_START="no": must be true or false/,
    );
  });

  it('should name a secret setting by its length and mask a URL password when they are invalid', () => {
    const validate = () =>
      validateEnv({
        DATABASE_URL: 'postgres://u:S3cretPassw0rd@host/db ',
        OPS_TOKEN: 'short-secret-15',
        ANALYST_PASSWORD: ' pasted-password',
      });
    expect(validate).toThrow(EnvValidationError);
    try {
      validate();
    } catch (error) {
      const { message } = error as EnvValidationError;
      expect(message).toContain('DATABASE_URL="postgres://u:***@host/db ": must be a postgres://');
      expect(message).toContain('OPS_TOKEN=(15 characters): must be at least 16 characters');
      expect(message).toContain('ANALYST_PASSWORD=(16 characters): must not begin or end with');
      expect(message).not.toMatch(/S3cretPassw0rd|short-secret-15|pasted-password/);
    }
  });
});
