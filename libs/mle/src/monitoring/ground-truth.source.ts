/**
 * Where the truth about logged predictions comes from. The domain implements it (for sales: the
 * `reordered` label of the sale whose id is the input id) and binds it with
 * `MleModule.forRoot({ groundTruth: … })`.
 */
export abstract class GroundTruthSource {
  /**
   * An SQL relation with the columns `input_id text` and `label boolean` (NULL while unknown),
   * e.g. `(SELECT id::text AS input_id, reordered AS label FROM sales)`. The evaluation joins
   * logged predictions with it in the database.
   */
  abstract labelsRelation(): string;
}
