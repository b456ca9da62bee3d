import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { DataSource } from 'typeorm';
import { CopyValue, TableWriter } from './demo-data';
import { sqlIdentifier } from './labelled-table';

const CHUNK_ROWS = 2_000;

/** A value in COPY's text format. */
function copyText(value: CopyValue): string {
  if (value === null) return '\\N';
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'boolean') return value ? 't' : 'f';
  if (typeof value === 'number') return String(value);
  return value.replace(
    /[\\\t\n\r]/g,
    (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c] ?? c,
  );
}

/** COPY … FROM STDIN on one connection of `dataSource`, the rows produced as they are consumed. */
export class CopyTableWriter implements TableWriter {
  constructor(private readonly dataSource: DataSource) {}

  async copy(
    table: string,
    columns: readonly string[],
    rows: Iterable<readonly CopyValue[]>,
  ): Promise<void> {
    const lines = Readable.from(
      (function* () {
        let chunk = '';
        let inChunk = 0;
        for (const row of rows) {
          chunk += `${row.map(copyText).join('\t')}\n`;
          if (++inChunk === CHUNK_ROWS) {
            yield chunk;
            chunk = '';
            inChunk = 0;
          }
        }
        if (chunk) yield chunk;
      })(),
      { objectMode: false },
    );
    const runner = this.dataSource.createQueryRunner();
    const client = (await runner.connect()) as PoolClient;
    try {
      const target = `${sqlIdentifier(table)} (${columns.map(sqlIdentifier).join(', ')})`;
      await pipeline(lines, client.query(copyFrom(`COPY ${target} FROM STDIN`)));
    } finally {
      await runner.release();
    }
  }
}
