import { TrainingRow } from '../model.service';

export interface TrainingRange {
  /** Inclusive. */
  from?: Date;
  /** Exclusive. */
  to?: Date;
}

/**
 * Where labelled examples come from. The domain implements it (for sales: labelled rows of the
 * `sales` table) and binds it with `MleModule.forRoot({ trainingData: … })`.
 */
export abstract class TrainingDataSource {
  /** Labelled rows in the range, streamed in time order. */
  abstract rows(range: TrainingRange): AsyncIterable<TrainingRow>;

  /** How many rows `rows(range)` will yield, for progress. */
  abstract count(range: TrainingRange): Promise<number>;
}
