import { ApiProperty } from '@nestjs/swagger';

export class PredictionAnswerDto {
  @ApiProperty({ oneOf: [{ type: 'integer' }, { type: 'string' }], example: 1001 })
  id!: number | string;

  @ApiProperty({
    description: "The predicted class (what it means is the model's: see its description).",
    example: true,
  })
  prediction!: boolean;

  @ApiProperty({ description: 'Probability of `true`.', example: 0.87 })
  probability!: number;

  @ApiProperty({ description: 'The model that answered.' })
  model!: string;

  @ApiProperty({ example: '20261126T164231734Z-3545a8' })
  modelVersion!: string;

  @ApiProperty({
    description: 'Also in the X-Request-Id header.',
    example: 'c0a8012e-7f3b-4c59-9d55-1b6e0c9a2f11',
  })
  requestId!: string;
}

export class BatchPredictionDto {
  @ApiProperty({ type: [PredictionAnswerDto] })
  predictions!: PredictionAnswerDto[];
}
