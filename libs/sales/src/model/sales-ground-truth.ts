import { GroundTruthSource } from '@app/mle';
import { Injectable } from '@nestjs/common';

/** The truth about a prediction: the `reordered` label of the sale whose id is the input id. */
@Injectable()
export class SalesGroundTruth extends GroundTruthSource {
  labelsRelation(): string {
    return '(SELECT id::text AS input_id, reordered AS label FROM sales)';
  }
}
