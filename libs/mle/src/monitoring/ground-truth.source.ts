/**
 * Where the truth about logged predictions comes from. The domain implements it (for sales: the
 * `reordered` label of the sale whose id is the input id) and binds it with
 * `MleModule.forRoot({ groundTruth: … })`.
 */
export abstract class GroundTruthSource {
  /**
   * An SQL relation with one row per input id and the columns `input_id text`, `label boolean`
   * (NULL while unknown) and `changed_at timestamptz` (when the label was last set, changed or
   * cleared; best kept by a trigger), e.g.
   * `(SELECT id::text AS input_id, reordered AS label, label_changed_at AS changed_at FROM sales)`.
   *
   * The evaluation looks labels up by `input_id` for new predictions and reads the labels whose
   * `changed_at` is recent on every run: index both expressions.
   */
  abstract labelsRelation(): string;
}
