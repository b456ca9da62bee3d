import { FeatureSpec } from '@app/mle';
import { RegisteredModel } from '@app/mle/registry';
import { ApiSecurity, DocumentBuilder, OpenAPIObject } from '@nestjs/swagger';
import { STRING_ID } from '../predict/dto/predict-request.dto';

/** The security schemes of the document: two opaque bearer tokens, and them as Basic passwords. */
export const OPS_TOKEN_SCHEME = 'opsToken';
export const STATUS_TOKEN_SCHEME = 'statusToken';
export const DASHBOARD_BASIC_SCHEME = 'dashboardBasic';

/**
 * A route open without a token, or with either token (each scheme optional): the retraining
 * status, and (with `extra` schemes such as Basic) the dashboard.
 */
export const OptionalTokenSecurity =
  (...extra: string[]): MethodDecorator =>
  (target, key, descriptor) => {
    ApiSecurity({})(target, key, descriptor);
    for (const scheme of [...extra, STATUS_TOKEN_SCHEME, OPS_TOKEN_SCHEME]) {
      ApiSecurity(scheme)(target, key, descriptor);
    }
  };

type Schema = Record<string, unknown>;
type Operation = NonNullable<OpenAPIObject['paths'][string]['post']>;
type RequestBodyObject = Exclude<NonNullable<Operation['requestBody']>, { $ref: string }>;

/** The document's frame: title, description and the tokens as they are (opaque, not JWTs). */
export function documentConfig() {
  return new DocumentBuilder()
    .setTitle('mle-service')
    .setDescription(
      'Predictions of the served models, their logging, and the retraining signal. ' +
        'Each model has its own predict route and request schema, generated from its feature schema. ' +
        'Errors are application/problem+json (RFC 9457).',
    )
    .setVersion('1')
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'opaque',
        description:
          'OPS_TOKEN, an opaque secret of the deployment (not a JWT): `Authorization: Bearer $OPS_TOKEN`. ' +
          'Without OPS_TOKEN the ops endpoints are disabled.',
      },
      OPS_TOKEN_SCHEME,
    )
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'opaque',
        description:
          'RETRAINING_STATUS_TOKEN, an opaque secret (not a JWT). Optional: the status is open ' +
          'unless it is set; it (or OPS_TOKEN) gives the full view.',
      },
      STATUS_TOKEN_SCHEME,
    )
    .addBasicAuth(
      {
        type: 'http',
        scheme: 'basic',
        description:
          'The dashboard only: RETRAINING_STATUS_TOKEN or OPS_TOKEN (opaque secrets, not a JWT) as the ' +
          'password, any user name, as a browser sends it (`curl -u :$RETRAINING_STATUS_TOKEN`).',
      },
      DASHBOARD_BASIC_SCHEME,
    )
    .build();
}

function featureSchema(spec: FeatureSpec): Schema {
  const description = spec.description ? { description: spec.description } : {};
  switch (spec.type) {
    case 'number':
    case 'integer':
      return {
        type: spec.type,
        ...(spec.min !== undefined ? { minimum: spec.min } : {}),
        ...(spec.max !== undefined ? { maximum: spec.max } : {}),
        ...description,
      };
    case 'boolean':
      return { type: 'boolean', ...description };
    case 'category':
      return { type: 'string', enum: [...spec.values], ...description };
  }
}

const pascal = (name: string) =>
  name.replace(/(^|-)([a-z0-9])/g, (_, _dash: string, c: string) => c.toUpperCase());

/** The request schemas of one model, added to `components`; answers the request body. */
function modelRequest(
  document: OpenAPIObject,
  model: RegisteredModel,
  maxBatch: number,
): RequestBodyObject {
  const prefix = pascal(model.name);
  const schemas = (document.components ??= {}).schemas ?? (document.components.schemas = {});
  const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
  schemas[`${prefix}Features`] = {
    type: 'object',
    description: `The features of ${model.name}; every one is required and no other is accepted.`,
    properties: Object.fromEntries(model.featureSchema.map((f) => [f.name, featureSchema(f)])),
    required: model.featureSchema.map((f) => f.name),
    additionalProperties: false,
  };
  schemas[`${prefix}PredictInstance`] = {
    type: 'object',
    properties: {
      id: {
        description: `The ${model.wording.inputId} the ground truth will be joined on.`,
        oneOf: [
          { type: 'integer', minimum: 0 },
          { type: 'string', pattern: STRING_ID.source },
        ],
      },
      features: ref(`${prefix}Features`),
    },
    required: ['id', 'features'],
    additionalProperties: false,
  };
  schemas[`${prefix}PredictBatch`] = {
    type: 'object',
    properties: {
      instances: {
        type: 'array',
        items: ref(`${prefix}PredictInstance`),
        minItems: 1,
        maxItems: maxBatch,
        description: `At most MAX_BATCH (${maxBatch}) instances; answered in the same order.`,
      },
    },
    required: ['instances'],
    additionalProperties: false,
  };
  const examples = model.plugin.demo?.examples ?? [];
  return {
    required: true,
    description: `${model.name}: ${model.wording.prediction}`,
    content: {
      'application/json': {
        schema: { oneOf: [ref(`${prefix}PredictInstance`), ref(`${prefix}PredictBatch`)] },
        ...(examples.length
          ? {
              examples: {
                single: { value: { id: 1001, features: examples[0] } },
                batch: {
                  value: { instances: examples.map((features, i) => ({ id: 1001 + i, features })) },
                },
              },
            }
          : {}),
      },
    },
  };
}

/**
 * Gives each served model its own predict operation (`/models/<name>/predict`, and `/predict`
 * for the default one) whose request schema lists every feature with its type, allowed values
 * and bounds, with the plug-in's examples; names the served models where a path takes one.
 */
export function describeModels(
  document: OpenAPIObject,
  models: readonly RegisteredModel[],
  maxBatch: number,
): OpenAPIObject {
  const template = document.paths['/models/{model}/predict']?.post;
  const defaultPredict = document.paths['/predict']?.post;
  if (!template || !defaultPredict)
    throw new Error('the predict routes are missing from the document');
  delete document.paths['/models/{model}/predict'];
  defaultPredict.requestBody = modelRequest(document, models[0], maxBatch);
  defaultPredict.description = `The default model, ${models[0].name}: ${models[0].wording.prediction}`;
  for (const model of models) {
    document.paths[`/models/${model.name}/predict`] = {
      post: {
        ...template,
        operationId: `predict_${model.name.replace(/-/g, '_')}`,
        summary: `Predict with ${model.name}: one input, or a batch in order`,
        description: model.wording.prediction,
        parameters: (template.parameters ?? []).filter((p) => !('name' in p && p.name === 'model')),
        requestBody: modelRequest(document, model, maxBatch),
      },
    };
  }
  const names = models.map((m) => m.name);
  for (const item of Object.values(document.paths)) {
    for (const operation of [item.get, item.post]) {
      for (const parameter of operation?.parameters ?? []) {
        if ('name' in parameter && parameter.name === 'model' && parameter.in === 'path') {
          parameter.schema = { type: 'string', enum: names };
        }
      }
    }
  }
  return document;
}
