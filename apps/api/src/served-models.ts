import { ModelPlugin } from '@app/mle';
import { salesReorder } from '@app/sales';

/**
 * The model plug-ins this service serves, the first being the default model (`POST /predict`).
 * To serve another, import its plug-in and list it here: nothing else changes.
 */
export const SERVED_MODELS: readonly ModelPlugin[] = [salesReorder];
