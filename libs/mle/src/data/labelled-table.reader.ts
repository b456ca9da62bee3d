import { DataSource } from 'typeorm';
import { LabelledTableSql, RowCursor, RowQuery, TableRow } from './labelled-table';

export const DEFAULT_PAGE_ROWS = 5_000;

/**
 * Reads a plug-in's rows with their labels, by time range, in (time, id) order. Pages use a
 * keyset on (time, id), so page 1,000 costs what page 1 costs when an index on (time, id)
 * exists; `rows` walks the pages and holds one in memory at a time, whatever the table's size.
 */
export class LabelledTableReader {
  constructor(
    private readonly dataSource: DataSource,
    readonly sql: LabelledTableSql,
    private readonly pageRows = DEFAULT_PAGE_ROWS,
  ) {}

  async page(query: RowQuery, after?: RowCursor): Promise<{ rows: TableRow[]; next?: RowCursor }> {
    const [text, params] = this.sql.page(query, after, this.pageRows);
    const raw = await this.dataSource.query<Record<string, unknown>[]>(text, params);
    const rows = raw.map((row) => this.sql.toRow(row));
    const last = rows.at(-1);
    return { rows, next: rows.length === this.pageRows && last ? last.cursor : undefined };
  }

  async *rows(query: RowQuery): AsyncGenerator<TableRow> {
    let cursor: RowCursor | undefined;
    do {
      const { rows, next } = await this.page(query, cursor);
      yield* rows;
      cursor = next;
    } while (cursor);
  }

  async count(query: RowQuery): Promise<number> {
    const [text, params] = this.sql.count(query);
    const [{ count }] = await this.dataSource.query<{ count: number }[]>(text, params);
    return count;
  }

  /** Whether the rows table holds no row at all. */
  async isEmpty(): Promise<boolean> {
    const [{ empty }] = await this.dataSource.query<{ empty: boolean }[]>(
      `SELECT NOT EXISTS (SELECT FROM ${this.sql.rowsTable}) AS empty`,
    );
    return empty;
  }
}
