import {
  featureValidatorFor,
  InputProblem,
  ModelNotLoadedError,
  ModelRegistry,
  PredictRequest,
} from '@app/mle';
import { Injectable, PipeTransform } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';
import { Env } from '../config/env.validation';
import { ValidationProblem } from '../http/problems';
import { BatchPredictRequestDto, PredictInstanceDto } from './dto/predict-request.dto';

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function flatten(errors: ValidationError[], parent: string, into: InputProblem[]): void {
  for (const error of errors) {
    const path = /^\d+$/.test(error.property)
      ? `${parent}[${error.property}]`
      : parent
        ? `${parent}.${error.property}`
        : error.property;
    // The first failed constraint is the one to fix (a missing id is not also "not an id").
    const [message] = Object.values(error.constraints ?? {});
    if (message) {
      // class-validator prefixes some messages with the property name; the path says it.
      into.push({
        path,
        message: message.replace(/^(property \S+ |\S+ )(?=should not exist)/, ''),
      });
    }
    flatten(error.children ?? [], path, into);
  }
}

/**
 * Validates a predict body: the envelope (`{ id, features }` or `{ instances }`) with
 * class-validator, then every `features` object with the validator compiled from the served
 * model's schema. Collects every problem with its path before answering 400.
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
    const batch = 'instances' in body;
    const instances = body.instances;
    if (batch && !Array.isArray(instances)) {
      throw new ValidationProblem([
        { path: 'instances', message: 'must be an array of { "id", "features" }' },
      ]);
    }
    // Checked before anything else looks at the items: a huge batch costs nothing to refuse.
    if (Array.isArray(instances) && instances.length > this.maxBatch) {
      throw new ValidationProblem([
        {
          path: 'instances',
          message: `must hold at most ${this.maxBatch} instances (MAX_BATCH), got ${instances.length}; split the batch`,
        },
      ]);
    }
    const served = this.registry.current;
    if (!served) {
      throw new ModelNotLoadedError(
        `no version of ${this.registry.name} is loaded. Train one (npm run train), then POST /model/reload.`,
      );
    }

    const problems: InputProblem[] = [];
    const envelope: object = batch
      ? plainToInstance(BatchPredictRequestDto, body)
      : plainToInstance(PredictInstanceDto, body);
    flatten(
      validateSync(envelope, {
        whitelist: true,
        forbidNonWhitelisted: true,
        forbidUnknownValues: true,
      }),
      '',
      problems,
    );
    const validate = featureValidatorFor(served.model.featureSchema);
    if (Array.isArray(instances)) {
      instances.forEach((instance: unknown, i) => {
        if (isObject(instance) && isObject(instance.features)) {
          validate(instance.features, `instances[${i}].features`, problems);
        }
      });
    } else if (isObject(body.features)) {
      validate(body.features, 'features', problems);
    }
    if (problems.length > 0) throw new ValidationProblem(problems);
    return body as unknown as PredictRequest;
  }
}
