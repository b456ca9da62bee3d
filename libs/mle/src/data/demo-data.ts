import { Features } from '../feature-schema';

export interface DemoOptions {
  rows: number;
  seed: number;
  /** Rows fall in the days before `now`; the most recent ones wait for their labels. */
  now: Date;
  /** Length of the window in days (the plug-in's default when unset). */
  days?: number;
  /** From this instant on, the rule that decides the label changes (concept drift). */
  driftFrom?: Date;
  /**
   * From this instant on, the inputs' distribution changes while the rule that decides the label
   * given them stays (covariate shift): the features drift, yet a model trained before keeps
   * about its accuracy.
   */
  shiftFrom?: Date;
}

/** What the kit needs to know of a generated row. */
export interface DemoRowView {
  features: Features;
  /** NULL while the label is not known yet. */
  label: boolean | null;
  at: Date;
}

/** A value COPY writes: NULL, a date (as ISO 8601), a boolean, a number or text. */
export type CopyValue = string | number | boolean | Date | null;

/** Writes rows into a table with COPY, streaming (memory stays flat). */
export interface TableWriter {
  copy(
    table: string,
    columns: readonly string[],
    rows: Iterable<readonly CopyValue[]>,
  ): Promise<void>;
}

/**
 * A plug-in's demo data: generated rows (deterministic for the options) for a first start
 * (`npm start` seeds empty tables), `npm run seed`, the examples of the API docs, and tests.
 * Generated rows get the ids 1, 2, … in generation order when written to empty tables.
 */
export interface DemoData<Row = unknown> {
  /** Inputs that work as pasted (the docs' examples); at least one. */
  readonly examples: readonly Features[];
  generate(options: DemoOptions): Iterable<Row>;
  describe(row: Row): DemoRowView;
  /** Writes generated rows into the plug-in's tables, through `writer`. */
  write(rows: Iterable<Row>, writer: TableWriter): Promise<void>;
}
