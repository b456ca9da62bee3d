/** Token of the kit's resolved `MleOptions`. */
export const MLE_OPTIONS = Symbol('MLE_OPTIONS');

/** Token of the served plug-ins, in the order the app lists them. */
export const MLE_PLUGINS = Symbol('MLE_PLUGINS');

/** Token of the resolved `PredictionLogOptions`. */
export const PREDICTION_LOG_OPTIONS = Symbol('PREDICTION_LOG_OPTIONS');
