import { seedDemoData } from '@app/mle/testing';
import { DataSource } from 'typeorm';
import { openTestDataSource } from '../../../../test/test-database';
import { salesDemo } from './sales.demo';

// This spec owns the year 2010 of the shared database (the generator's window ends at `now`).
const now = new Date(Date.UTC(2011, 0, 1));
const window = [new Date(Date.UTC(2010, 0, 1)), now];

describe('salesDemo', () => {
  let dataSource: DataSource;

  beforeAll(async () => {
    dataSource = await openTestDataSource();
    await dataSource.query(`DELETE FROM sales WHERE sold_at >= $1 AND sold_at < $2`, window);
  });

  afterAll(async () => {
    await dataSource.query(`DELETE FROM sales WHERE sold_at >= $1 AND sold_at < $2`, window);
    await dataSource.destroy();
  });

  it('should write every generated row with COPY and report what it wrote', async () => {
    const summary = await seedDemoData(dataSource, salesDemo, { rows: 5_000, seed: 7, now });

    const [stored] = await dataSource.query<
      { rows: number; labelled: number; rate: number; first: Date; last: Date }[]
    >(
      `SELECT count(*)::int AS rows,
              count(reordered)::int AS labelled,
              avg(reordered::int)::float AS rate,
              min(sold_at) AS first, max(sold_at) AS last
         FROM sales WHERE sold_at >= $1 AND sold_at < $2`,
      window,
    );
    expect(summary.rows).toBe(5_000);
    expect(stored.rows).toBe(5_000);
    expect(stored.labelled).toBe(summary.labelled);
    expect(stored.rate).toBeCloseTo(summary.positiveRate, 10);
    expect(stored.first).toEqual(summary.from);
    expect(stored.last).toEqual(summary.to);
  });
});
