import { ModelNotLoadedError, ModelRegistry, RegisteredModel } from '@app/mle/registry';
import {
  FeatureValidator,
  featureValidatorFor,
  InputProblem,
  PredictBatch,
  PredictInstance,
} from '@app/mle/serving';
import { Injectable, PipeTransform } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { validateSync, ValidationError } from 'class-validator';
import { Env } from '../config/env.validation';
import { ValidationProblem } from '../http/problems';
import { isInputId, PredictInstanceDto } from './dto/predict-request.dto';
import { PredictInput } from './predict-body.decorator';

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
 * Turns a predict body into the one batch shape the prediction service answers: the model (the
 * path's, or the default), and its instances in order. Validates the envelope
 * (`{ id, features }` or `{ instances: [...] }`) with class-validator, then every `features`
 * object with the validator compiled from the model's feature schema, collecting every problem
 * with its path before answering 400.
 *
 * Each instance is copied onto its DTO one level deep rather than with plainToInstance, which
 * would clone `features` recursively (slow, and a stack overflow on a body nested thousands
 * deep) and copy keys such as `constructor` that break class-validator.
 */
@Injectable()
export class PredictRequestPipe implements PipeTransform<PredictInput, PredictBatch> {
  private readonly maxBatch: number;

  constructor(
    private readonly registry: ModelRegistry,
    config: ConfigService<Env, true>,
  ) {
    this.maxBatch = config.get('MAX_BATCH', { infer: true });
  }

  transform({ model: name, body }: PredictInput): PredictBatch {
    const model = name === undefined ? this.registry.first : this.registry.get(name);
    if (!isObject(body)) {
      throw new ValidationProblem([
        {
          path: '',
          message: 'must be a JSON object: { "id", "features" } or { "instances": [...] }',
        },
      ]);
    }
    if (!model.current) throw new ModelNotLoadedError(model.name);
    const validate = featureValidatorFor(model.featureSchema);
    const problems: InputProblem[] = [];
    if ('instances' in body) {
      this.checkBatch(model, body, validate, problems);
      if (problems.length > 0) throw new ValidationProblem(problems);
      return { model, instances: body.instances as PredictInstance[], single: false };
    }
    this.checkInstance(model, body, '', validate, problems);
    if (problems.length > 0) throw new ValidationProblem(problems);
    return { model, instances: [body as unknown as PredictInstance], single: true };
  }

  private checkBatch(
    model: RegisteredModel,
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
      this.checkInstance(model, item, `instances[${i}]`, validate, problems),
    );
  }

  private checkInstance(
    model: RegisteredModel,
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
    // Missing fields are said here, in the model's words; class-validator checks the rest.
    if (item.id === undefined || item.id === null) {
      problems.push({
        path: join(path, 'id'),
        message: `is required: the ${model.wording.inputId} the label will be joined on`,
      });
    }
    if (item.features === undefined || item.features === null) {
      problems.push({ path: join(path, 'features'), message: 'is required' });
    }
    // class-validator words the answer; an envelope it would pass (the common case) is not
    // handed to it: validateSync on every instance of a batch was the pipe's main cost.
    const idPasses = item.id === undefined || item.id === null || isInputId(item.id);
    const featuresPass =
      item.features === undefined || item.features === null || isObject(item.features);
    if (!idPasses || !featuresPass) {
      flatten(
        validateSync(dto, { stopAtFirstError: true, skipMissingProperties: true }),
        path,
        problems,
      );
    }
    if (isObject(item.features)) validate(item.features, join(path, 'features'), problems);
  }
}
