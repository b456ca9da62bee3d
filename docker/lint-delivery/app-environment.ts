import { getMetadataStorage } from 'class-validator';
import { Env, EnvValidationError, validateEnv } from '../../apps/api/src/config/env.validation';

/**
 * The API's own view of an environment (apps/api/src/config/env.validation.ts), for the delivery
 * checks: the validated settings or the problems it would stop on, and the variables it would
 * not read at all (a typo, or a variable that does not exist yet).
 */
export function appEnvironment(environment: Readonly<Record<string, string>>): {
  env?: Env;
  problems: string[];
  unknown: string[];
} {
  const known = new Set(
    getMetadataStorage()
      .getTargetValidationMetadatas(Env, '', true, false)
      .map((metadata) => metadata.propertyName),
  );
  const unknown = Object.keys(environment).filter((key) => !known.has(key));
  try {
    return { env: validateEnv(environment), problems: [], unknown };
  } catch (error) {
    if (error instanceof EnvValidationError) return { problems: error.problems, unknown };
    throw error;
  }
}
