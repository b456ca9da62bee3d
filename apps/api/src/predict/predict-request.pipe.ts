import {
  FeatureValidator,
  featureValidatorFor,
  InputProblem,
  ModelNotLoadedError,
  ModelRegistry,
  PredictRequest,
} from '@app/mle';
import { Injectable, PipeTransform } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { validateSync, ValidationError } from 'class-validator';
import { Env } from '../config/env.validation';
import { ValidationProblem } from '../http/problems';
import { PredictInstanceDto } from './dto/predict-request.dto';

const INSTANCE_FIELDS = ['id', 'features'];

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const join = (path: string, key: string) => (path ? `${path}.${key}` : key);

/** class-validator's errors as problems; the first failed constraint of a field is the one to fix. */
function flatten(errors: ValidationError[], path: string, into: InputProblem[]): void {
  for (const error of errors) {
    const [message] = Object.values(error.constraints ?? {});
    if (message) into.push({ path: join(path, error.property), message });
  }
}

/**
 * Validates a predict body: the envelope (`{ id, features }` or `{ instances: [...] }`) with
 * class-validator, then every `features` object with the validator compiled from the served
 * model's schema. Collects every problem with its path before answering 400.
 *
 * Each instance is copied onto its DTO one level deep rather than with plainToInstance, which
 * would clone `features` recursively (slow, and a stack overflow on a body nested thousands
 * deep) and copy keys such as `constructor` that break class-validator.
 */
@Injectable()
export class PredictRequestPipe implements PipeTransform<unknown, PredictRequest> {
  private readonly maxBatch: number;

  constructor(
    private readonly registry: ModelRegistry,
    config: ConfigService<Env, true>,
  ) {
    this.maxBatch = config.get('MAX_BATCH', { infer: true });
  }

  transform(body: unknown): PredictRequest {
    if (!isObject(body)) {
      throw new ValidationProblem([
        {
          path: '',
          message: 'must be a JSON object: { "id", "features" } or { "instances": [...] }',
        },
      ]);
    }
    const served = this.registry.current;
    if (!served) {
      throw new ModelNotLoadedError(
        `no version of ${this.registry.name} is loaded. Train one (npm run train), then POST /model/reload.`,
      );
    }
    const validate = featureValidatorFor(served.model.featureSchema);
    const problems: InputProblem[] = [];

    if ('instances' in body) {
      this.checkBatch(body, validate, problems);
    } else {
      this.checkInstance(body, '', validate, problems);
    }
    if (problems.length > 0) throw new ValidationProblem(problems);
    return body as unknown as PredictRequest;
  }

  private checkBatch(
    body: Record<string, unknown>,
    validate: FeatureValidator,
    problems: InputProblem[],
  ): void {
    const { instances } = body;
    const problem = (message: string) => new ValidationProblem([{ path: 'instances', message }]);
    if (!Array.isArray(instances)) throw problem('must be an array of { "id", "features" }');
    if (instances.length === 0) throw problem('must hold at least one instance');
    // Refused before anything looks at the items: a huge batch costs nothing to refuse.
    if (instances.length > this.maxBatch) {
      throw problem(
        `must hold at most ${this.maxBatch} instances (MAX_BATCH), got ${instances.length}; split the batch`,
      );
    }
    for (const key of Object.keys(body)) {
      if (key !== 'instances') {
        problems.push({
          path: key.slice(0, 64),
          message: 'is not a field of the request; expected instances',
        });
      }
    }
    instances.forEach((item: unknown, i) =>
      this.checkInstance(item, `instances[${i}]`, validate, problems),
    );
  }

  private checkInstance(
    item: unknown,
    path: string,
    validate: FeatureValidator,
    problems: InputProblem[],
  ): void {
    if (!isObject(item)) {
      problems.push({ path, message: 'must be an object { "id", "features" }' });
      return;
    }
    const dto = new PredictInstanceDto();
    for (const key of Object.keys(item)) {
      if (INSTANCE_FIELDS.includes(key))
        (dto as unknown as Record<string, unknown>)[key] = item[key];
      else {
        problems.push({
          path: join(path, key.slice(0, 64)),
          message: 'is not a field of the request; expected id and features',
        });
      }
    }
    flatten(validateSync(dto, { stopAtFirstError: true }), path, problems);
    if (isObject(item.features)) validate(item.features, join(path, 'features'), problems);
  }
}
