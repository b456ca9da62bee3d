import { Features, FeatureSchema, FeatureValue } from '../feature-schema';

/** The table (or view) that holds one row per input: its id, its time and its features. */
export interface RowsTable {
  /** A table or view, optionally schema-qualified: `sales`, `crm.subscriptions`. */
  table: string;
  /** The input id's column: what `POST /predict` takes as `id` (any type; compared as text). */
  id: string;
  /** When the input happened: training ranges and replay read by it, in its order. */
  time: string;
  /** Feature name → column, for the features whose column has another name. */
  columns?: Readonly<Record<string, string>>;
}

/** Where the truth about an input arrives: a boolean label per input id, NULL while unknown. */
export interface LabelsTable {
  table: string;
  /** The column joined with the rows' id. */
  id: string;
  /** The label: a boolean column, NULL while unknown. */
  label: string;
  /**
   * When the label was last set, changed or cleared; kept by the trigger `trackLabelChanges`
   * installs (the default name is its default).
   */
  changedAt?: string;
}

export const DEFAULT_LABEL_CHANGED_AT = 'label_changed_at';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A quoted SQL identifier (`schema.table` allowed); anything else is refused, never escaped. */
export function sqlIdentifier(name: string): string {
  const parts = name.split('.');
  if (parts.length > 2 || !parts.every((part) => IDENTIFIER.test(part))) {
    throw new Error(
      `"${name}" is not a plain SQL identifier (letters, digits and _, optionally schema.name)`,
    );
  }
  return parts.map((part) => `"${part}"`).join('.');
}

/** Where the next page starts: the last row of the previous one, as the database gave it. */
export interface RowCursor {
  time: Date;
  id: unknown;
}

export interface RowQuery {
  /** Inclusive, on the rows' time. */
  from?: Date;
  /** Exclusive. */
  to?: Date;
  /** Only inputs whose label is known (training); otherwise all rows (replay). */
  labelledOnly: boolean;
}

/** One row as read: its id as text, features as the schema types them, and its label. */
export interface TableRow {
  id: string;
  at: Date;
  features: Features;
  label: boolean | null;
  cursor: RowCursor;
}

/**
 * The SQL a plug-in's data configuration stands for, built once: keyset pages of rows with
 * their labels (in time, then id order), counts, and the label relations the monitoring reads.
 * Identifiers are checked and quoted; values are always parameters.
 */
export class LabelledTableSql {
  readonly rowsTable: string;
  readonly labelsTable: string;
  /** The labels table's name as given: the key its withdrawals are recorded under. */
  readonly labelSource: string;
  private readonly select: string;
  private readonly from: string;
  private readonly labelled: string;
  private readonly time: string;
  private readonly id: string;
  private readonly convert: ((value: unknown) => FeatureValue)[];
  private readonly names: string[];
  private readonly labelId: string;
  private readonly label: string;
  private readonly changedAt: string;

  constructor(rows: RowsTable, labels: LabelsTable, schema: FeatureSchema) {
    this.rowsTable = sqlIdentifier(rows.table);
    this.labelsTable = sqlIdentifier(labels.table);
    this.labelSource = labels.table;
    this.time = `r.${sqlIdentifier(rows.time)}`;
    this.id = `r.${sqlIdentifier(rows.id)}`;
    const sameTable = rows.table === labels.table && rows.id === labels.id;
    const labelAlias = sameTable ? 'r' : 'l';
    this.labelId = sqlIdentifier(labels.id);
    this.label = sqlIdentifier(labels.label);
    this.changedAt = sqlIdentifier(labels.changedAt ?? DEFAULT_LABEL_CHANGED_AT);
    this.names = schema.map((feature) => feature.name);
    this.convert = schema.map((feature) => {
      switch (feature.type) {
        case 'number':
        case 'integer':
          // numeric and bigint columns arrive as strings.
          return (value) => Number(value);
        case 'boolean':
          return (value) => value === true || value === 't' || value === 'true';
        case 'category':
          return (value) => String(value);
      }
    });
    const columns = schema.map(
      (feature, i) => `r.${sqlIdentifier(rows.columns?.[feature.name] ?? feature.name)} AS f${i}`,
    );
    this.select = [
      `${this.id}::text AS id`,
      `${this.id} AS cursor_id`,
      `${this.time} AS at`,
      `${labelAlias}.${this.label} AS label`,
      ...columns,
    ].join(', ');
    this.from = sameTable
      ? `${this.rowsTable} r`
      : `${this.rowsTable} r LEFT JOIN ${this.labelsTable} l ON l.${this.labelId} = ${this.id}`;
    this.labelled = `${labelAlias}.${this.label} IS NOT NULL`;
  }

  /** One page of rows after `cursor`, in (time, id) order. */
  page(query: RowQuery, cursor: RowCursor | undefined, limit: number): [string, unknown[]] {
    const params: unknown[] = [];
    const where = this.where(query, params);
    if (cursor) {
      params.push(cursor.time, cursor.id);
      where.push(`(${this.time}, ${this.id}) > ($${params.length - 1}, $${params.length})`);
    }
    params.push(limit);
    return [
      `SELECT ${this.select} FROM ${this.from} WHERE ${where.join(' AND ')}
        ORDER BY ${this.time}, ${this.id} LIMIT $${params.length}`,
      params,
    ];
  }

  count(query: RowQuery): [string, unknown[]] {
    const params: unknown[] = [];
    const where = this.where(query, params);
    return [`SELECT count(*)::int AS count FROM ${this.from} WHERE ${where.join(' AND ')}`, params];
  }

  /** A database row of `page` as the kit uses it. */
  toRow(raw: Record<string, unknown>): TableRow {
    const features: Record<string, FeatureValue> = {};
    for (let i = 0; i < this.names.length; i++) {
      features[this.names[i]] = this.convert[i](raw[`f${i}`]);
    }
    const at = raw.at as Date;
    return {
      id: raw.id as string,
      at,
      features,
      label: raw.label === null ? null : raw.label === true,
      cursor: { time: at, id: raw.cursor_id },
    };
  }

  /** `(input_id text, label boolean)`: the current label of each input id (absent: unknown). */
  labelLookup(): string {
    return `(SELECT ${this.labelId}::text AS input_id, ${this.label} AS label FROM ${this.labelsTable})`;
  }

  /**
   * `(input_id text, label boolean)`: the inputs whose label was set, changed, cleared or
   * withdrawn (its row deleted) at or after the parameter `$<sinceParam>`, with the label as it
   * is now (NULL when cleared or withdrawn). The parameter `$<sourceParam>` must be `labelSource`.
   */
  labelChangesSince(sinceParam: number, sourceParam: number): string {
    return `(SELECT DISTINCT ON (input_id) input_id, label FROM (
        SELECT ${this.labelId}::text AS input_id, ${this.label} AS label, ${this.changedAt} AS changed_at
          FROM ${this.labelsTable} WHERE ${this.changedAt} >= $${sinceParam}
        UNION ALL
        SELECT input_id, NULL::boolean, withdrawn_at FROM label_withdrawals
         WHERE source = $${sourceParam} AND withdrawn_at >= $${sinceParam}
      ) changes ORDER BY input_id, changed_at DESC)`;
  }

  private where(query: RowQuery, params: unknown[]): string[] {
    const where = ['true'];
    if (query.labelledOnly) where.push(this.labelled);
    if (query.from) {
      params.push(query.from);
      where.push(`${this.time} >= $${params.length}`);
    }
    if (query.to) {
      params.push(query.to);
      where.push(`${this.time} < $${params.length}`);
    }
    return where;
  }
}
