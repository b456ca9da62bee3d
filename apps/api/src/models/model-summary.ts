import { ModelManifest, RegisteredModel } from '@app/mle/registry';

/** What the API says of a version: its identity, schema and how it was trained. */
export function versionSummary(manifest: ModelManifest) {
  const { name, version, createdAt, featureSchema, training } = manifest;
  return {
    model: name,
    version,
    createdAt,
    featureSchema,
    training: {
      rows: training.rows,
      holdoutRows: training.holdoutRows,
      from: training.from,
      to: training.to,
      holdout: training.holdout,
    },
  };
}

/** What the API says of a served model, loaded or not. */
export function modelSummary(model: RegisteredModel) {
  const served = model.current;
  return {
    model: model.name,
    description: model.wording.prediction,
    inputId: model.wording.inputId,
    version: served?.manifest.version ?? null,
    featureSchema: model.featureSchema,
    training: served ? versionSummary(served.manifest).training : null,
    routes: {
      predict: `/models/${model.name}/predict`,
      retrainingStatus: `/models/${model.name}/retraining/status`,
    },
  };
}
