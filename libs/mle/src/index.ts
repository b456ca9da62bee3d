// The kit's public face: what a model plug-in is written with. Wiring and internals are in
// `@app/mle/<area>` (module, serving, registry, training, monitoring, …), for the app.
export type { FitReport, Prediction, TrainingRow } from './model.service';
export { ModelService } from './model.service';
export type {
  BooleanFeature,
  CategoryFeature,
  Features,
  FeatureSchema,
  FeatureSpec,
  FeatureValue,
  NumericFeature,
} from './feature-schema';
export type { ModelPlugin, ModelWording } from './plugin/model-plugin';
export { defineModelPlugin } from './plugin/model-plugin';
export type { LabelsTable, RowsTable } from './data/labelled-table';
export type { CopyValue, DemoData, DemoOptions, DemoRowView, TableWriter } from './data/demo-data';
export {
  ANALYST_ROLE,
  grantAnalystWrite,
  recordLabelWithdrawals,
  stopRecordingLabelWithdrawals,
  trackLabelChanges,
  untrackLabelChanges,
} from './data/label-tracking.migration';
export type { FeatureEncoderJson } from './estimators/feature-encoder';
export { FeatureEncoder } from './estimators/feature-encoder';
export { fitLogisticRegression, predictProbability } from './estimators/logistic-regression';
export type { Calibration, CalibrationReport } from './estimators/calibration';
export { applyCalibration, fitCalibration } from './estimators/calibration';
