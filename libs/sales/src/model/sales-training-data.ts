import { TrainingDataSource, TrainingRange, TrainingRow } from '@app/mle';
import { Injectable } from '@nestjs/common';
import { SalesRepository } from '../sales.repository';
import { saleFeatures } from './sales-features';

/** Labelled sales, streamed page by page from the table, as training rows. */
@Injectable()
export class SalesTrainingData extends TrainingDataSource {
  constructor(private readonly sales: SalesRepository) {
    super();
  }

  async *rows(range: TrainingRange): AsyncIterable<TrainingRow> {
    for await (const sale of this.sales.stream({ ...range, labelledOnly: true })) {
      yield {
        id: sale.id,
        features: saleFeatures(sale),
        label: sale.reordered === true,
        at: sale.soldAt,
      };
    }
  }

  count(range: TrainingRange): Promise<number> {
    return this.sales.count({ ...range, labelledOnly: true });
  }
}
