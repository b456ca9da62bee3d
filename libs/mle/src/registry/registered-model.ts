import { ModuleRef } from '@nestjs/core';
import { LabelledTableSql } from '../data/labelled-table';
import { FeatureSchema } from '../feature-schema';
import { MleMetrics } from '../metrics/mle-metrics';
import { ModelService } from '../model.service';
import { DEFAULT_WORDING, ModelPlugin, ModelWording } from '../plugin/model-plugin';
import { ModelArtifactStore } from './model-artifact.store';
import { ModelManifest } from './model-manifest';
import { ModelArtifactError } from './registry.errors';
import { findPredictionFailure } from './version-verification';

/** A model version being served and its manifest; replaced as a whole on reload. */
export interface ServedModel {
  model: ModelService;
  manifest: ModelManifest;
}

/**
 * One model of the service: its plug-in, its name and schema, and the version it serves.
 * `reload` loads `current` into a fresh instance and swaps it in only once it is complete and
 * verified: a prediction that has taken the old instance finishes on it, the next one gets the
 * new version, and a failed load leaves the working model in place.
 */
export class RegisteredModel {
  readonly name: string;
  readonly featureSchema: FeatureSchema;
  readonly wording: ModelWording;
  /** The SQL of the plug-in's data; undefined when it gives none (served, never trained). */
  readonly data: LabelledTableSql | undefined;
  private served: ServedModel | undefined;
  private shadowed: ServedModel | undefined;
  private reloading: Promise<ServedModel> | undefined;

  constructor(
    readonly plugin: ModelPlugin,
    blueprint: ModelService,
    private readonly moduleRef: ModuleRef,
    private readonly store: ModelArtifactStore,
    private readonly metrics: MleMetrics,
  ) {
    this.name = blueprint.name;
    this.featureSchema = blueprint.featureSchema;
    this.wording = { ...DEFAULT_WORDING, ...plugin.wording };
    this.data = plugin.data
      ? new LabelledTableSql(plugin.data.rows, plugin.data.labels, this.featureSchema)
      : undefined;
  }

  /** The served version, or undefined while none is loaded. */
  get current(): ServedModel | undefined {
    return this.served;
  }

  /**
   * The version scoring every request in shadow (after the answer has gone; logged, never
   * answered), or undefined.
   */
  get shadow(): ServedModel | undefined {
    return this.shadowed;
  }

  /** A new, empty instance of the plug-in's model class (with its dependencies injected). */
  async createModel(): Promise<ModelService> {
    return this.moduleRef.create(this.plugin.model);
  }

  /** Loads the current version into a new instance and swaps it in. */
  async reload(): Promise<ServedModel> {
    // Concurrent reloads share one load rather than racing to swap.
    this.reloading ??= this.loadCurrent().finally(() => (this.reloading = undefined));
    return this.reloading;
  }

  /**
   * Serves `version` (the champion the database names), loaded and verified first; a version
   * that fails leaves the served one in place. Already served: nothing to do.
   */
  async serveVersion(version: string): Promise<ServedModel> {
    if (this.served?.manifest.version === version) return this.served;
    await this.reloading?.catch(() => undefined);
    const next = await this.loadVersion(version);
    this.swapIn(next);
    return next;
  }

  /** Scores requests with `version` in shadow, or stops when undefined. */
  async setShadow(version: string | undefined): Promise<void> {
    if (this.shadowed?.manifest.version === version) return;
    this.shadowed = version === undefined ? undefined : await this.loadVersion(version);
  }

  /**
   * Loads a version without serving it (training compares the current version with a candidate).
   * The loaded model must predict every value and bound of its feature schema (see
   * `findPredictionFailure`): a version that cannot answer what the API accepts is refused here.
   */
  async loadVersion(version: string): Promise<ServedModel> {
    const { dir, manifest } = await this.store.read(this.name, version);
    const model = await this.createModel();
    const where = `model ${this.name} version ${version}`;
    try {
      await model.load(dir);
    } catch (error) {
      throw new ModelArtifactError(
        this.name,
        `${where} could not be loaded from ${dir}: ${(error as Error).message}.`,
      );
    }
    model.version = manifest.version;
    const failure = findPredictionFailure(model);
    if (failure) {
      throw new ModelArtifactError(
        this.name,
        `${where} ${failure}. It cannot answer every input the feature schema accepts.`,
      );
    }
    return { model, manifest };
  }

  private async loadCurrent(): Promise<ServedModel> {
    const wanted = await this.store.currentVersion(this.name);
    if (!wanted) {
      throw new ModelArtifactError(
        this.name,
        `${this.store.modelRoot(this.name)} holds no current version of ${this.name}.`,
      );
    }
    const next = await this.loadVersion(wanted);
    this.swapIn(next);
    return next;
  }

  private swapIn(next: ServedModel): void {
    this.served = next;
    this.metrics.serving(next.manifest.name, next.manifest.version);
  }
}
