import {
  PredictBatch,
  PredictionLogger,
  PredictionService,
  PredictResponse,
} from '@app/mle/serving';
import { Controller, HttpCode, Post, Req, UseInterceptors } from '@nestjs/common';
import {
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiResponse,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { BatchPredictionDto, PredictionAnswerDto } from './dto/predict-response.dto';
import { PredictBody } from './predict-body.decorator';
import { PredictRequestPipe } from './predict-request.pipe';

const RESPONSES = [
  {
    status: 400,
    description: 'Invalid request: application/problem+json with every problem and its path.',
  },
  { status: 404, description: 'No such model (the answer lists the served ones).' },
  { status: 413, description: 'Body over BODY_LIMIT.' },
  { status: 415, description: 'Not application/json.' },
  { status: 503, description: 'No version of the model is loaded.' },
];

const ApiPredictResponses = (): MethodDecorator => (target, key, descriptor) => {
  ApiOkResponse({
    description: 'One answer, or `{ predictions }` in request order for a batch.',
    schema: {
      oneOf: [
        { $ref: getSchemaPath(PredictionAnswerDto) },
        { $ref: getSchemaPath(BatchPredictionDto) },
      ],
    },
  })(target, key, descriptor);
  for (const response of RESPONSES) ApiResponse(response)(target, key, descriptor);
};

/**
 * Predictions, single or batch, of the default model (`POST /predict`) or of a model by name.
 * The request and answer schemas of each model are in the OpenAPI document, generated from its
 * feature schema. The pipe gives the one batch shape; the service answers it; the
 * `PredictionLogger` logs it; this only renders it.
 */
@ApiTags('predict')
@ApiExtraModels(PredictionAnswerDto, BatchPredictionDto)
@Controller()
export class PredictController {
  constructor(private readonly predictions: PredictionService) {}

  @Post('predict')
  @HttpCode(200)
  @UseInterceptors(PredictionLogger)
  @ApiOperation({ summary: 'Predict one input, or a batch in order, with the default model' })
  @ApiPredictResponses()
  predict(
    @PredictBody(PredictRequestPipe) batch: PredictBatch,
    @Req() request: FastifyRequest,
  ): PredictResponse {
    return this.render(batch, request);
  }

  @Post('models/:model/predict')
  @HttpCode(200)
  @UseInterceptors(PredictionLogger)
  @ApiOperation({ summary: 'Predict one input, or a batch in order, with the named model' })
  @ApiParam({ name: 'model', description: 'A served model (GET /models lists them).' })
  @ApiPredictResponses()
  predictWith(
    @PredictBody(PredictRequestPipe) batch: PredictBatch,
    @Req() request: FastifyRequest,
  ): PredictResponse {
    return this.render(batch, request);
  }

  private render(batch: PredictBatch, request: FastifyRequest): PredictResponse {
    const answers = this.predictions.predict(batch, request.id);
    return batch.single ? answers[0] : { predictions: answers };
  }
}
