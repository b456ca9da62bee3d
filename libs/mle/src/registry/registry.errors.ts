/**
 * The kit's errors carry facts (which model, which version, what is wrong); the app words what to
 * do about them, in its own terms (its commands, its routes).
 */

/** No version of `model` is loaded: the API answers 503 until one is. */
export class ModelNotLoadedError extends Error {
  override name = 'ModelNotLoadedError';

  constructor(readonly model: string) {
    super(`no version of ${model} is loaded`);
  }
}

/** `model` is not one of the models this service serves. */
export class UnknownModelError extends Error {
  override name = 'UnknownModelError';

  constructor(
    readonly model: string,
    readonly served: readonly string[],
  ) {
    super(`there is no model "${model.slice(0, 64)}" here; served: ${served.join(', ')}`);
  }
}

/** A missing, partial, corrupted or unusable version; the message says which file and why. */
export class ModelArtifactError extends Error {
  override name = 'ModelArtifactError';

  constructor(
    readonly model: string,
    message: string,
  ) {
    super(message);
  }
}
