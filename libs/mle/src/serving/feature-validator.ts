import { Features, FeatureSchema, FeatureSpec } from '../feature-schema';

/** One thing wrong with a request, at a path such as `instances[3].features.unit_price`. */
export interface InputProblem {
  path: string;
  message: string;
}

/** Checks one `features` object; pushes a problem per defect and returns whether it is valid. */
export type FeatureValidator = (
  features: unknown,
  path: string,
  problems: InputProblem[],
) => features is Features;

type Check = (value: unknown) => string | undefined;

const describe = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;

function numericCheck(spec: Extract<FeatureSpec, { type: 'number' | 'integer' }>): Check {
  const bounds =
    spec.min !== undefined && spec.max !== undefined
      ? `between ${spec.min} and ${spec.max}`
      : spec.min !== undefined
        ? `at least ${spec.min}`
        : `at most ${spec.max}`;
  return (value) => {
    if (typeof value !== 'number') return `must be a number, got ${describe(value)}`;
    if (!Number.isFinite(value)) return 'must be a finite number';
    if (spec.type === 'integer' && !Number.isInteger(value))
      return `must be an integer, got ${value}`;
    if (
      (spec.min !== undefined && value < spec.min) ||
      (spec.max !== undefined && value > spec.max)
    ) {
      return `must be ${bounds}, got ${value}`;
    }
    return undefined;
  };
}

function checkFor(spec: FeatureSpec): Check {
  switch (spec.type) {
    case 'number':
    case 'integer':
      return numericCheck(spec);
    case 'boolean':
      return (value) =>
        typeof value === 'boolean' ? undefined : `must be true or false, got ${describe(value)}`;
    case 'category': {
      const allowed = new Set(spec.values);
      const list = spec.values.join(', ');
      return (value) => {
        if (typeof value !== 'string') return `must be one of ${list}, got ${describe(value)}`;
        return allowed.has(value)
          ? undefined
          : `must be one of ${list}, got "${value.slice(0, 64)}"`;
      };
    }
  }
}

/**
 * Compiles the model's feature schema once into a validator: no reflection, no allocation on
 * valid input, every problem of an invalid input reported with its path.
 */
export function compileFeatureValidator(schema: FeatureSchema): FeatureValidator {
  const checks = schema.map((spec) => ({ name: spec.name, check: checkFor(spec) }));
  const known = new Set(schema.map((spec) => spec.name));
  return (features, path, problems): features is Features => {
    if (typeof features !== 'object' || features === null || Array.isArray(features)) {
      problems.push({ path, message: `must be an object of features, got ${describe(features)}` });
      return false;
    }
    const before = problems.length;
    const record = features as Record<string, unknown>;
    let present = 0;
    for (const { name, check } of checks) {
      if (!Object.hasOwn(record, name)) {
        problems.push({ path: `${path}.${name}`, message: 'is required' });
        continue;
      }
      present += 1;
      const problem = check(record[name]);
      if (problem) problems.push({ path: `${path}.${name}`, message: problem });
    }
    if (Object.keys(record).length > present) {
      for (const name of Object.keys(record)) {
        if (!known.has(name)) {
          problems.push({
            path: `${path}.${name.slice(0, 64)}`,
            message: 'is not a feature of this model',
          });
        }
      }
    }
    return problems.length === before;
  };
}

const compiled = new WeakMap<FeatureSchema, FeatureValidator>();

/** The validator of `schema`, compiled on first use. */
export function featureValidatorFor(schema: FeatureSchema): FeatureValidator {
  let validator = compiled.get(schema);
  if (!validator) {
    validator = compileFeatureValidator(schema);
    compiled.set(schema, validator);
  }
  return validator;
}
