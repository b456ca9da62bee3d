import { IsObject, registerDecorator, ValidationOptions } from 'class-validator';

export const STRING_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

/** Whether `value` is an input id: a non-negative safe JSON integer, or a STRING_ID string. */
export const isInputId = (value: unknown): boolean =>
  (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) ||
  (typeof value === 'string' && STRING_ID.test(value));

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
      validator: { validate: isInputId },
    });
}

/**
 * The envelope of one instance of a predict request, as class-validator checks it. Its
 * `features` are checked against the model's feature schema, and each model's request schema is
 * in the OpenAPI document (generated from that schema, see http/openapi.ts); a missing field is
 * reported by the pipe, in the model's words.
 */
export class PredictInstanceDto {
  @IsInputId()
  id!: number | string;

  @IsObject({ message: 'must be an object of features' })
  features!: Record<string, unknown>;
}
