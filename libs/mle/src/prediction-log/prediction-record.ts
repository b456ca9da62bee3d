import { Features } from '../feature-schema';

/** One logged prediction: a line of the prediction log, and later a row of `predictions`. */
export interface PredictionRecord {
  /** When the prediction was made, ISO 8601 UTC. */
  ts: string;
  requestId: string;
  /** The input id the ground truth is joined on. */
  inputId: string;
  features: Features;
  prediction: boolean;
  probability: number;
  model: string;
  modelVersion: string;
  latencyMs: number;
  /**
   * Scored by the model's shadow version after the answer had gone: logged and evaluated,
   * never answered. Absent on the answered (champion's) predictions.
   */
  shadow?: true;
}
