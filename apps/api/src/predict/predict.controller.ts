import { PredictionLogger, PredictionService, PredictRequest, PredictResponse } from '@app/mle';
import { Body, Controller, HttpCode, Post, Req, UseInterceptors } from '@nestjs/common';
import {
  ApiBody,
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiResponse,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import {
  BatchPredictRequestDto,
  EXAMPLE_FEATURES,
  PredictInstanceDto,
} from './dto/predict-request.dto';
import { BatchPredictionDto, PredictionAnswerDto } from './dto/predict-response.dto';
import { PredictRequestPipe } from './predict-request.pipe';

@ApiTags('predict')
@ApiExtraModels(PredictInstanceDto, BatchPredictRequestDto, PredictionAnswerDto, BatchPredictionDto)
@Controller()
export class PredictController {
  constructor(private readonly predictions: PredictionService) {}

  @Post('predict')
  @HttpCode(200)
  @UseInterceptors(PredictionLogger)
  @ApiOperation({
    summary: 'Predict one sale, or a batch in order',
    description:
      'Every prediction is logged with its input id; the retraining monitor joins it with the label when it arrives.',
  })
  @ApiBody({
    schema: {
      oneOf: [
        { $ref: getSchemaPath(PredictInstanceDto) },
        { $ref: getSchemaPath(BatchPredictRequestDto) },
      ],
    },
    examples: {
      single: { value: { id: 1001, features: EXAMPLE_FEATURES } },
      batch: {
        value: {
          instances: [
            { id: 1001, features: EXAMPLE_FEATURES },
            {
              id: 1002,
              features: { ...EXAMPLE_FEATURES, product_category: 'electronics', unit_price: 249 },
            },
          ],
        },
      },
    },
  })
  @ApiOkResponse({
    schema: {
      oneOf: [
        { $ref: getSchemaPath(PredictionAnswerDto) },
        { $ref: getSchemaPath(BatchPredictionDto) },
      ],
    },
  })
  @ApiResponse({
    status: 400,
    description: 'Invalid request: application/problem+json with every problem and its path.',
  })
  @ApiResponse({ status: 413, description: 'Body over BODY_LIMIT.' })
  @ApiResponse({ status: 415, description: 'Not application/json.' })
  @ApiResponse({ status: 503, description: 'No model version is loaded.' })
  predict(
    @Body(PredictRequestPipe) body: PredictRequest,
    @Req() request: FastifyRequest,
  ): PredictResponse {
    if ('instances' in body) {
      return { predictions: this.predictions.predict(body.instances, request.id) };
    }
    return this.predictions.predict([body], request.id)[0];
  }
}
