import { Type } from '@nestjs/common';
import { MigrationInterface } from 'typeorm';
import { DemoData } from '../data/demo-data';
import { LabelsTable, RowsTable } from '../data/labelled-table';
import { ModelService } from '../model.service';

/** How the service speaks of a plug-in's inputs, in the API docs and in error messages. */
export interface ModelWording {
  /** What an input id is, e.g. `sale id`. */
  inputId: string;
  /** What the predicted class means, e.g. `will the customer order again within 30 days?`. */
  prediction: string;
}

/**
 * A model plug-in: one folder that gives the kit its model and where its data lives. The app
 * serves a list of them (`SERVED_MODELS`); everything else — serving, validation, prediction
 * logs, versions, training, monitoring — comes from the kit.
 */
export interface ModelPlugin {
  /** The model class (one instance per version; created by the kit with its dependencies). */
  readonly model: Type<ModelService>;
  /**
   * Where labelled rows and the truth about predictions live: the kit reads them with SQL
   * (keyset paging, streaming). Without it the model is served but neither trained nor monitored.
   */
  readonly data?: {
    /** One row per input: its id, its time and its features. */
    readonly rows: RowsTable;
    /** The label of each input id; may be the rows table itself. */
    readonly labels: LabelsTable;
  };
  /** The plug-in's own migrations (its tables), run with the kit's. */
  readonly migrations?: readonly Type<MigrationInterface>[];
  /** Demo rows for a first start, the docs' examples and the tests. */
  readonly demo?: DemoData;
  readonly wording?: Partial<ModelWording>;
}

export const DEFAULT_WORDING: ModelWording = {
  inputId: 'input id',
  prediction: 'the predicted class',
};

/** Declares a plug-in (typed, and checked for the mistakes a type cannot catch). */
export function defineModelPlugin(plugin: ModelPlugin): ModelPlugin {
  if (plugin.demo && plugin.demo.examples.length === 0) {
    throw new Error(`${plugin.model.name}: demo.examples must hold at least one example input`);
  }
  return Object.freeze({ ...plugin });
}
