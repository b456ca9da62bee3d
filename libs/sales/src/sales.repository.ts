import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, Repository, SelectQueryBuilder } from 'typeorm';
import { Sale } from './sale.entity';

export interface SalesQuery {
  /** Inclusive lower bound on sold_at. */
  from?: Date;
  /** Exclusive upper bound on sold_at. */
  to?: Date;
  /** Only rows whose label is known. */
  labelledOnly?: boolean;
}

/** Where the next page starts: the last row of the previous one (keyset pagination). */
export interface SalesCursor {
  soldAt: Date;
  id: string;
}

export interface SalesPage {
  rows: Sale[];
  /** Pass to the next call; undefined on the last page. */
  next?: SalesCursor;
}

export const DEFAULT_PAGE_SIZE = 5_000;

/**
 * Reads sales by date range, in sold_at order. Pages use a keyset on (sold_at, id), served by
 * an index, so page 1,000 costs what page 1 costs; `stream` walks the pages and holds one page
 * in memory at a time, whatever the table's size.
 */
@Injectable()
export class SalesRepository {
  constructor(@InjectRepository(Sale) private readonly sales: Repository<Sale>) {}

  async page(
    query: SalesQuery,
    after?: SalesCursor,
    limit = DEFAULT_PAGE_SIZE,
  ): Promise<SalesPage> {
    const qb = this.filtered(query).orderBy('sale.soldAt', 'ASC').addOrderBy('sale.id', 'ASC');
    if (after) {
      qb.andWhere('(sale.soldAt, sale.id) > (:afterSoldAt, :afterId)', {
        afterSoldAt: after.soldAt,
        afterId: after.id,
      });
    }
    const rows = await qb.limit(limit).getMany();
    const last = rows.at(-1);
    return {
      rows,
      next: rows.length === limit && last ? { soldAt: last.soldAt, id: last.id } : undefined,
    };
  }

  async *stream(query: SalesQuery, pageSize = DEFAULT_PAGE_SIZE): AsyncGenerator<Sale> {
    let cursor: SalesCursor | undefined;
    do {
      const { rows, next } = await this.page(query, cursor, pageSize);
      yield* rows;
      cursor = next;
    } while (cursor);
  }

  async count(query: SalesQuery): Promise<number> {
    return this.filtered(query).getCount();
  }

  /** The label of each id that exists (null while unknown); ids not found are absent. */
  async labels(ids: readonly string[]): Promise<Map<string, boolean | null>> {
    if (ids.length === 0) return new Map();
    const rows = await this.sales.find({
      select: { id: true, reordered: true },
      where: { id: In([...ids]) },
    });
    return new Map(rows.map((row) => [row.id, row.reordered]));
  }

  /** First and last sold_at of the rows matching the query; undefined when there are none. */
  async dateRange(query: SalesQuery): Promise<{ from: Date; to: Date } | undefined> {
    const row = await this.filtered(query)
      .select('min(sale.soldAt)', 'from')
      .addSelect('max(sale.soldAt)', 'to')
      .getRawOne<{ from: Date | null; to: Date | null }>();
    return row?.from && row.to ? { from: row.from, to: row.to } : undefined;
  }

  private filtered({ from, to, labelledOnly }: SalesQuery): SelectQueryBuilder<Sale> {
    const qb = this.sales.createQueryBuilder('sale').where('true');
    if (from) qb.andWhere('sale.soldAt >= :from', { from });
    if (to) qb.andWhere('sale.soldAt < :to', { to });
    if (labelledOnly) qb.andWhere('sale.reordered IS NOT NULL');
    return qb;
  }
}
