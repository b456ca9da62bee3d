import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayNotEmpty,
  IsArray,
  IsObject,
  registerDecorator,
  ValidateNested,
  ValidationOptions,
} from 'class-validator';

export const STRING_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

/** An input id: a non-negative JSON integer, or a string of 1–128 letters, digits and `_.:-`. */
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

/**
 * One instance of a predict request. Its `features` are checked against the model's feature
 * schema (the OpenAPI document lists them per model); a missing field is reported by the pipe.
 */
export class PredictInstanceDto {
  @ApiProperty({
    description: 'The input id the ground truth will be joined on.',
    oneOf: [
      { type: 'integer', minimum: 0 },
      { type: 'string', pattern: STRING_ID.source },
    ],
  })
  @IsInputId()
  id!: number | string;

  @ApiProperty({ description: "The model's features by name.", type: Object })
  @IsObject({ message: 'must be an object of features' })
  features!: Record<string, unknown>;
}

export class BatchPredictRequestDto {
  @ApiProperty({
    type: [PredictInstanceDto],
    description: 'At most MAX_BATCH (default 1000) instances; answered in the same order.',
  })
  @IsArray({ message: 'must be an array of { id, features }' })
  @ArrayNotEmpty({ message: 'must hold at least one instance' })
  @ValidateNested({ each: true })
  @Type(() => PredictInstanceDto)
  instances!: PredictInstanceDto[];
}
