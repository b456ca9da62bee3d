import { Features, FeatureSchema } from './feature-schema';

/** One labelled example, as the training data source yields it. */
export interface TrainingRow {
  /** The input id: holdout membership is derived from it, so it is stable. */
  id: string;
  features: Features;
  label: boolean;
  /** When the example happened; the training summary reports the range. */
  at: Date;
}

/** A model's answer for one input. */
export interface Prediction {
  /** The predicted class. */
  prediction: boolean;
  /** The model's probability (or score in [0, 1]) that the class is `true`. */
  probability: number;
}

/** What `fit` reports; the kit adds holdout metrics, date range and the reference distribution. */
export interface FitReport {
  /** Rows the model was fitted on. */
  rows: number;
  /** Anything worth keeping in the manifest: iterations, convergence, regularisation… */
  details?: Record<string, unknown>;
}

/**
 * The one class a data scientist implements to serve a model: a binary classifier over the
 * features of `featureSchema`. Everything else — HTTP, validation, prediction logs, versions,
 * monitoring — comes from the kit.
 *
 * Bind it with `MleModule.forRoot({ model: MyModel, … })`; inject `ModelRegistry` to use the
 * model being served. The kit creates a fresh instance for every fit and every load, so an
 * instance holds exactly one version and is never mutated while it serves.
 */
export abstract class ModelService<TModel = unknown> {
  /** Stable identifier (kebab-case): names the folder `MODEL_DIR/<name>/` and every logged prediction. */
  abstract readonly name: string;

  /**
   * The features `predict` takes, with their types and allowed values. Requests are validated
   * against it before `predict` is called, so `predict` may trust its input. The kit also builds
   * the training reference distribution (for drift) from it.
   */
  abstract readonly featureSchema: FeatureSchema;

  /**
   * The version of the parameters this instance holds. Set by the kit when a fit is saved or a
   * version is loaded; implementations read it but need not set it.
   */
  version = 'unfitted';

  /** The underlying fitted model object (weights, trees, a session…); undefined before fit or load. */
  abstract get model(): TModel | undefined;

  /**
   * Fits on labelled rows (already split: the kit keeps a holdout aside and evaluates it with
   * `predict`). Must be deterministic for the same rows.
   */
  abstract fit(rows: readonly TrainingRow[]): Promise<FitReport>;

  /**
   * Predicts a batch; returns one result per input, in the same order. Called on the request
   * path: keep it synchronous and allocation-light. Inputs are validated against `featureSchema`.
   */
  abstract predict(inputs: readonly Features[]): Prediction[];

  /** Writes the fitted parameters into `dir` (an empty folder). The kit adds manifest.json beside them. */
  abstract save(dir: string): Promise<void>;

  /** Reads parameters written by `save` from `dir`. Throw on anything missing or malformed. */
  abstract load(dir: string): Promise<void>;
}
