import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { LabelledTableReader } from '../data/labelled-table.reader';
import { TrainingRow } from '../model.service';
import { RegisteredModel } from '../registry/registered-model';
import { TrainingData, TrainingDataSource, TrainingRange } from './training-data.source';

/** A model's labelled rows, read from its plug-in's tables page by page. */
class SqlTrainingSource extends TrainingDataSource {
  constructor(private readonly reader: LabelledTableReader) {
    super();
  }

  async *rows(range: TrainingRange): AsyncIterable<TrainingRow> {
    for await (const row of this.reader.rows({ ...range, labelledOnly: true })) {
      yield { id: row.id, features: row.features, label: row.label === true, at: row.at };
    }
  }

  count(range: TrainingRange): Promise<number> {
    return this.reader.count({ ...range, labelledOnly: true });
  }

  countAll(range: TrainingRange): Promise<number> {
    return this.reader.count({ ...range, labelledOnly: false });
  }
}

/** The kit's training data: each plug-in's tables, as its `data` configuration describes them. */
@Injectable()
export class SqlTrainingData extends TrainingData {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    super();
  }

  for(model: RegisteredModel): TrainingDataSource | undefined {
    return model.data
      ? new SqlTrainingSource(new LabelledTableReader(this.dataSource, model.data))
      : undefined;
  }
}
