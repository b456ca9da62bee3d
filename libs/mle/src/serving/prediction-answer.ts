import { Features } from '../feature-schema';
import type { RegisteredModel } from '../registry/registered-model';

/** An input id: a non-negative JSON integer, or a string id. */
export type InputId = string | number;

/** One instance of a predict request, validated. */
export interface PredictInstance {
  id: InputId;
  features: Features;
}

/** The answer for one instance. */
export interface PredictionAnswer {
  id: InputId;
  prediction: boolean;
  probability: number;
  model: string;
  modelVersion: string;
  requestId: string;
}

/** What `POST /predict` answers: one answer, or `{ predictions }` in request order for a batch. */
export type PredictResponse = PredictionAnswer | { predictions: PredictionAnswer[] };

/** What `POST /predict` takes. */
export type PredictRequest = PredictInstance | { instances: PredictInstance[] };

/** A validated predict request: the model it is for, and its instances in request order. */
export interface PredictBatch {
  model: RegisteredModel;
  instances: PredictInstance[];
  /** Sent as one instance (answered as one), not as `{ instances }`. */
  single: boolean;
}
