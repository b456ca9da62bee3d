import { AccuracyEvaluation } from './accuracy';
import { DriftReport } from './drift';
import { Recommendation } from './monitoring.options';
import { PerformanceEstimation } from './performance-estimation';
import { IngestionSummary } from './prediction-log.ingester';

/** What an evaluation run folded in: new predictions, and labels set, changed or withdrawn. */
export interface OutcomeUpdate {
  predictions: number;
  labelsChanged: number;
}

/**
 * One evaluation of one model, as stored in `model_evaluations`. The one shape of the concept:
 * the status, the webhook body, the gauges and the log line are views of it
 * (`evaluation.views.ts`).
 */
export interface Evaluation {
  id: string;
  evaluatedAt: string;
  jobRunId?: string;
  model: string;
  /** The version the recommendation is about: the current one (or the latest seen in the window). */
  modelVersion?: string;
  recommendation: Recommendation;
  reasons: string[];
  accuracy?: number;
  labelled: number;
  threshold: number;
  minLabelled: number;
  window: { from: string; to: string };
  metrics: AccuracyEvaluation;
  drift: DriftReport;
  /** The run's ingestion (shared by the models evaluated in one run). */
  ingestion: IngestionSummary;
  outcomes: OutcomeUpdate;
  timings: { ingestSeconds: number; updateSeconds: number; evaluateSeconds: number };
  /**
   * Performance estimated from the (calibrated) probabilities of every prediction in the window,
   * labelled or not: per version, and per UTC day for the evaluated version. Absent on
   * evaluations stored before estimation existed.
   */
  estimation?: PerformanceEstimation;
}
