import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayNotEmpty,
  IsArray,
  IsDefined,
  IsObject,
  registerDecorator,
  ValidateNested,
  ValidationOptions,
} from 'class-validator';

const STRING_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

/** A sale id: a non-negative JSON integer, or a string of 1–128 letters, digits and `_.:-`. */
export function IsInputId(options?: ValidationOptions): PropertyDecorator {
  return (target, property) =>
    registerDecorator({
      name: 'isInputId',
      target: target.constructor,
      propertyName: property as string,
      options: {
        message: 'must be a non-negative integer or a string of 1-128 letters, digits, _ . : -',
        ...options,
      },
      validator: {
        validate: (value: unknown) =>
          (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) ||
          (typeof value === 'string' && STRING_ID.test(value)),
      },
    });
}

export const EXAMPLE_FEATURES = {
  region: 'south',
  channel: 'online',
  product_category: 'grocery',
  unit_price: 6.49,
  quantity: 3,
  discount_pct: 10,
  promo: true,
  customer_tenure_days: 540,
  items_in_basket: 4,
};

export class PredictInstanceDto {
  @ApiProperty({
    description: 'The sale id the ground truth will be joined on.',
    oneOf: [
      { type: 'integer', minimum: 0 },
      { type: 'string', pattern: STRING_ID.source },
    ],
    example: 1001,
  })
  @IsDefined({ message: 'is required: the sale id the label will be joined on' })
  @IsInputId()
  id!: number | string;

  @ApiProperty({
    description: "The model's features by name (see the model's feature schema).",
    type: 'object',
    additionalProperties: true,
    example: EXAMPLE_FEATURES,
  })
  @IsDefined({ message: 'is required' })
  @IsObject({ message: 'must be an object of features' })
  features!: Record<string, unknown>;
}

export class BatchPredictRequestDto {
  @ApiProperty({
    type: [PredictInstanceDto],
    description: 'At most MAX_BATCH (default 1000) instances; answered in the same order.',
    example: [
      { id: 1001, features: EXAMPLE_FEATURES },
      {
        id: 1002,
        features: { ...EXAMPLE_FEATURES, product_category: 'electronics', unit_price: 249 },
      },
    ],
  })
  @IsArray({ message: 'must be an array of { id, features }' })
  @ArrayNotEmpty({ message: 'must hold at least one instance' })
  @ValidateNested({ each: true })
  @Type(() => PredictInstanceDto)
  instances!: PredictInstanceDto[];
}
