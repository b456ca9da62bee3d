import { GroundTruthSource } from '@app/mle';
import { Injectable } from '@nestjs/common';

/**
 * The truth about a prediction: the `reordered` label of the sale whose id is the input id.
 * `label_changed_at` is kept by a trigger; both lookups have an index (see the migrations).
 */
@Injectable()
export class SalesGroundTruth extends GroundTruthSource {
  labelsRelation(): string {
    return '(SELECT id::text AS input_id, reordered AS label, label_changed_at AS changed_at FROM sales)';
  }
}
