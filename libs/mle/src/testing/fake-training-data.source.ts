import { Injectable } from '@nestjs/common';
import { TrainingRow } from '../model.service';
import { TrainingDataSource, TrainingRange } from '../training/training-data.source';

/** Training rows held in memory; tests set `rows` before training. */
@Injectable()
export class FakeTrainingDataSource extends TrainingDataSource {
  private data: TrainingRow[] = [];

  set(rows: TrainingRow[]): this {
    this.data = rows;
    return this;
  }

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
