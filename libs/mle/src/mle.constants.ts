/** Token of the kit's resolved `MleOptions`. */
export const MLE_OPTIONS = Symbol('MLE_OPTIONS');

/** Token of the concrete ModelService class bound by `MleModule.forRoot`. */
export const MLE_MODEL_CLASS = Symbol('MLE_MODEL_CLASS');

/** Token of the resolved `PredictionLogOptions`. */
export const PREDICTION_LOG_OPTIONS = Symbol('PREDICTION_LOG_OPTIONS');
