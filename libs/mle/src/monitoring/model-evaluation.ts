import { AccuracyEvaluation } from './accuracy-evaluator';
import { DriftReport } from './drift-detector';
import { Recommendation } from './monitoring.options';
import { OutcomeUpdate } from './outcome-tracker';
import { IngestionSummary } from './prediction-log.ingester';

/** One evaluation, as stored in `model_evaluations` and served by the status endpoint. */
export interface StoredEvaluation {
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
  ingestion: IngestionSummary;
  /** What the run folded in (new predictions, changed labels), and how long each step took. */
  outcomes: Omit<OutcomeUpdate, 'seconds'>;
  timings: { ingestSeconds: number; updateSeconds: number; evaluateSeconds: number };
}
