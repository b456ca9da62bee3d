import { Injectable } from '@nestjs/common';
import { TrainingRow } from '../model.service';
import { RegisteredModel } from '../registry/registered-model';
import { TrainingData, TrainingDataSource, TrainingRange } from '../training/training-data.source';

/** Training rows held in memory, for every model; tests `set` them before training. */
@Injectable()
export class FakeTrainingData extends TrainingData {
  private readonly source = new InMemoryTrainingSource();

  set(rows: TrainingRow[]): this {
    this.source.data = rows;
    return this;
  }

  for(_model: RegisteredModel): TrainingDataSource {
    return this.source;
  }
}

class InMemoryTrainingSource extends TrainingDataSource {
  data: TrainingRow[] = [];

  async *rows(range: TrainingRange): AsyncIterable<TrainingRow> {
    for (const row of this.data) {
      if ((!range.from || row.at >= range.from) && (!range.to || row.at < range.to)) yield row;
    }
  }

  async count(range: TrainingRange): Promise<number> {
    let n = 0;
    for await (const _ of this.rows(range)) n += 1;
    return n;
  }

  countAll(range: TrainingRange): Promise<number> {
    return this.count(range);
  }
}

/** `n` rows whose label is `score >= cut` (so a fitted fake model's threshold sits near `cut`). */
export function fakeTrainingRows(
  n: number,
  cut = 0.5,
  start = Date.UTC(2026, 0, 1),
): TrainingRow[] {
  return Array.from({ length: n }, (_, i) => {
    const score = ((i * 7919) % 1000) / 1000;
    return {
      id: String(i + 1),
      features: { score, flag: i % 2 === 0, colour: ['red', 'green', 'blue'][i % 3] },
      label: score >= cut,
      at: new Date(start + i * 60_000),
    };
  });
}
