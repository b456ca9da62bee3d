import { TrainingRow } from '../model.service';
import { RegisteredModel } from '../registry/registered-model';

export interface TrainingRange {
  /** Inclusive. */
  from?: Date;
  /** Exclusive. */
  to?: Date;
}

/** Where one model's labelled examples come from. */
export abstract class TrainingDataSource {
  /** Labelled rows in the range, streamed in time order. */
  abstract rows(range: TrainingRange): AsyncIterable<TrainingRow>;

  /** How many rows `rows(range)` will yield, for progress. */
  abstract count(range: TrainingRange): Promise<number>;

  /** How many inputs there are in the range, labelled or not (to say why there is nothing to fit). */
  abstract countAll(range: TrainingRange): Promise<number>;
}

/**
 * The training data of each served model. The kit's own reads the plug-in's tables with SQL
 * (`SqlTrainingData`); tests of the kit bind one that holds rows in memory.
 */
export abstract class TrainingData {
  /** The model's source, or undefined when its plug-in gives no data. */
  abstract for(model: RegisteredModel): TrainingDataSource | undefined;
}
