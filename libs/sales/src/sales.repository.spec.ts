import { Between, DataSource, Repository } from 'typeorm';
import { openTestDataSource } from '../../../test/test-database';
import { Sale } from './sale.entity';
import { SalesRepository } from './sales.repository';
import { newSale } from './testing/sale.factory';

// This spec owns the year 2001 of the shared database; other specs never write there.
const day = (d: number) => new Date(Date.UTC(2001, 0, d));
const YEAR = { from: day(1), to: new Date(Date.UTC(2002, 0, 1)) };

describe(SalesRepository.name, () => {
  let dataSource: DataSource;
  let table: Repository<Sale>;
  let repository: SalesRepository;
  let ids: string[];

  beforeAll(async () => {
    dataSource = await openTestDataSource();
    table = dataSource.getRepository(Sale);
    repository = new SalesRepository(table);
    await table.delete({ soldAt: Between(YEAR.from, YEAR.to) });
    // 30 sales on days 1..30, one per day; every third one labelled.
    const saved = await table.save(
      Array.from({ length: 30 }, (_, i) =>
        table.create(
          newSale({
            soldAt: day(i + 1),
            reordered: i % 3 === 0 ? i % 2 === 0 : null,
            labelUpdatedAt: i % 3 === 0 ? day(i + 2) : null,
          }),
        ),
      ),
    );
    ids = saved.map((s) => s.id);
  });

  afterAll(async () => {
    await dataSource.destroy();
  });

  it('should read a date range as a half-open interval in sold_at order', async () => {
    const { rows, next } = await repository.page({ from: day(5), to: day(10) });
    expect(rows.map((r) => r.soldAt)).toEqual([day(5), day(6), day(7), day(8), day(9)]);
    expect(next).toBeUndefined();
  });

  it('should return only labelled rows when asked', async () => {
    const labelled = await repository.page({ ...YEAR, labelledOnly: true });
    expect(labelled.rows).toHaveLength(10);
    expect(labelled.rows.every((r) => r.reordered !== null)).toBe(true);
    expect(await repository.count({ ...YEAR, labelledOnly: true })).toBe(10);
  });

  it('should page through every row exactly once with a cursor', async () => {
    const seen: string[] = [];
    let page = await repository.page(YEAR, undefined, 7);
    seen.push(...page.rows.map((r) => r.id));
    while (page.next) {
      page = await repository.page(YEAR, page.next, 7);
      seen.push(...page.rows.map((r) => r.id));
    }
    expect(seen).toEqual(ids);
  });

  it('should keep rows with the same sold_at apart when paging', async () => {
    const twins = await table.save([
      table.create(newSale({ soldAt: day(31) })),
      table.create(newSale({ soldAt: day(31) })),
      table.create(newSale({ soldAt: day(31) })),
    ]);
    const range = { from: day(31), to: day(32) };
    const first = await repository.page(range, undefined, 2);
    const second = await repository.page(range, first.next, 2);
    expect([...first.rows, ...second.rows].map((r) => r.id)).toEqual(twins.map((t) => t.id));
    await table.delete(twins.map((t) => t.id));
  });

  it('should stream every row with numbers and dates mapped', async () => {
    const streamed: Sale[] = [];
    for await (const sale of repository.stream(YEAR, 4)) streamed.push(sale);
    expect(streamed.map((s) => s.id)).toEqual(ids);
    expect(streamed[0]).toMatchObject({ unitPrice: 19.99, discountPct: 0, soldAt: day(1) });
  });

  it('should fetch labels for a list of ids, null while unknown and absent when missing', async () => {
    const labels = await repository.labels([ids[0], ids[1], '999999999']);
    expect(labels).toEqual(
      new Map<string, boolean | null>([
        [ids[0], true],
        [ids[1], null],
      ]),
    );
  });

  it('should report the date range of the matching rows', async () => {
    expect(await repository.dateRange({ ...YEAR, labelledOnly: true })).toEqual({
      from: day(1),
      to: day(28),
    });
  });
});
