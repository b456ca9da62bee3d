import { Inject, Injectable } from '@nestjs/common';
import { fitCalibration } from '../estimators/calibration';
import { Features } from '../feature-schema';
import { pairedCounts, PairedCounts } from '../lifecycle/paired-comparison';
import { BinaryMetrics, binaryMetrics } from '../metrics/binary-metrics';
import { MLE_OPTIONS } from '../module/mle.constants';
import { MleOptions } from '../module/mle.options';
import { ModelService, TrainingRow } from '../model.service';
import { buildReferenceDistribution } from '../monitoring/reference-distribution';
import { ModelArtifactStore } from '../registry/model-artifact.store';
import { ModelManifest } from '../registry/model-manifest';
import { ModelRegistry } from '../registry/model.registry';
import { RegisteredModel } from '../registry/registered-model';
import { TrainingData, TrainingRange } from './training-data.source';

export interface TrainOptions extends TrainingRange {
  /** The model to train; the first served model by default. */
  model?: string;
  /** Promote even when the candidate is worse than the current version. */
  force?: boolean;
  /**
   * Which labelled rows judge the fit: `hash` (default) a stable share picked by a hash of the
   * id; `latest` the most recent share by time, never trained on — under drift the newest rows
   * are the question.
   */
  holdout?: 'hash' | 'latest';
  /** Off: save the candidate without ever making it current (the lifecycle decides). */
  promote?: boolean;
  /** The version to compare the candidate with; the current one by default. */
  against?: string;
  /** Fewer labelled rows in the range than this: `NoTrainingDataError` before any fit. */
  minLabelled?: number;
  /** Versions pruning must keep besides the current one (the champion, the shadow). */
  keep?: readonly string[];
  /** Called as rows arrive (`total` when known). */
  onProgress?: (rows: number, total: number) => void;
}

export interface TrainingOutcome {
  candidate: ModelManifest;
  /** The current version's metrics on the candidate's holdout, when there was one to compare. */
  current?: { version: string; holdout: BinaryMetrics };
  /** The current version (first) against the candidate (second) on the holdout rows. */
  paired?: PairedCounts & { agreeing: number };
  /** Why the current version could not be compared (missing, corrupted…). */
  currentUnavailable?: string;
  promoted: boolean;
  reason: string;
  pruned: string[];
}

/** Too few labelled rows to fit and evaluate: the counts say whether to seed or to wait. */
export class NoTrainingDataError extends Error {
  override name = 'NoTrainingDataError';

  constructor(
    readonly model: string,
    /** Labelled rows in the range. */
    readonly labelled: number,
    /** Rows in the range, labelled or not. */
    readonly rows: number,
    readonly range: TrainingRange,
  ) {
    super(
      `only ${labelled} labelled rows of ${model} (of ${rows} rows) in the range: too few to fit and evaluate`,
    );
  }
}

/** The model's plug-in gives no training data. */
export class NoTrainingSourceError extends Error {
  override name = 'NoTrainingSourceError';

  constructor(readonly model: string) {
    super(`the plug-in of ${model} gives no data to train on`);
  }
}

/** FNV-1a of the id: a stable, uniform split that does not depend on row order. */
export function isHoldout(id: string, fraction: number): boolean {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    hash ^= id.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) / 0x1_0000_0000 < fraction;
}

function predictAll(model: ModelService, rows: readonly TrainingRow[]): boolean[] {
  return model.predict(rows.map((row) => row.features)).map((p) => p.prediction);
}

function evaluate(model: ModelService, rows: readonly TrainingRow[]): BinaryMetrics {
  const predictions = predictAll(model, rows);
  return binaryMetrics(rows.map((row, i) => ({ predicted: predictions[i], actual: row.label })));
}

/** Rows in time order split into the older share to fit and the latest `fraction` to judge. */
function splitLatest(rows: TrainingRow[], fraction: number): [TrainingRow[], TrainingRow[]] {
  const cut = Math.floor(rows.length * (1 - fraction));
  return [rows.slice(0, cut), rows.slice(cut)];
}

/**
 * Fits a new version on labelled rows, evaluates it on a holdout beside the current version (on
 * the same rows, so the comparison is fair), saves it with its manifest, and promotes it only
 * when its holdout accuracy is not lower than the current version's — or when forced.
 */
@Injectable()
export class ModelTrainer {
  constructor(
    private readonly registry: ModelRegistry,
    private readonly store: ModelArtifactStore,
    private readonly trainingData: TrainingData,
    @Inject(MLE_OPTIONS) private readonly options: MleOptions,
  ) {}

  /** Trains a new version of `options.model` (the first served model by default). */
  async train(options: TrainOptions = {}): Promise<TrainingOutcome> {
    const registered = options.model ? this.registry.get(options.model) : this.registry.first;
    const name = registered.name;
    const data = this.trainingData.for(registered);
    if (!data) throw new NoTrainingSourceError(name);
    const started = performance.now();
    const range = { from: options.from, to: options.to };
    const total = await data.count(range);
    if (total < (options.minLabelled ?? 1)) {
      throw new NoTrainingDataError(name, total, await data.countAll(range), range);
    }
    const byTime = options.holdout === 'latest';
    let train: TrainingRow[] = [];
    let holdout: TrainingRow[] = [];
    let first: Date | undefined;
    let last: Date | undefined;
    for await (const row of data.rows(range)) {
      (byTime || !isHoldout(row.id, this.options.holdoutFraction) ? train : holdout).push(row);
      first ??= row.at;
      last = row.at;
      const seen = train.length + holdout.length;
      if (seen % 5_000 === 0) options.onProgress?.(seen, total);
    }
    options.onProgress?.(train.length + holdout.length, total);
    if (byTime) [train, holdout] = splitLatest(train, this.options.holdoutFraction);
    if (train.length === 0 || holdout.length === 0) {
      throw new NoTrainingDataError(
        name,
        train.length + holdout.length,
        await data.countAll(range),
        range,
      );
    }

    const candidate = await registered.createModel();
    const fit = await candidate.fit(train);
    const candidateHoldout = evaluate(candidate, holdout);
    // On the holdout: probabilities of rows the candidate was not fitted on.
    const calibration = fitCalibration(
      candidate.predict(holdout.map((row) => row.features)).map((p) => p.probability),
      holdout.map((row) => row.label),
    );
    const features: Features[] = train.map((row) => row.features);
    const manifest = await this.store.save(candidate, {
      createdAt: new Date().toISOString(),
      featureSchema: candidate.featureSchema,
      training: {
        rows: train.length,
        holdoutRows: holdout.length,
        from: first?.toISOString(),
        to: last?.toISOString(),
        requested: { from: options.from?.toISOString(), to: options.to?.toISOString() },
        holdout: candidateHoldout,
        holdoutFrom: holdout[0].at.toISOString(),
        holdoutSplit: byTime ? 'latest' : 'hash',
        calibration,
        fit,
        seconds: (performance.now() - started) / 1000,
      },
      reference: buildReferenceDistribution(candidate.featureSchema, features),
    });

    const against = options.against ?? (await this.store.currentVersion(name));
    const outcome = await this.compareWith(registered, against, candidate, manifest, holdout);
    const decision =
      options.promote === false
        ? { promoted: false, reason: 'saved as a candidate; the lifecycle decides its role' }
        : this.decide(outcome, options.force ?? false);
    if (decision.promoted) await this.store.promote(manifest.name, manifest.version);
    const pruned = await this.store.prune(manifest.name, [
      manifest.version,
      ...(options.keep ?? []),
    ]);
    return { ...outcome, ...decision, pruned };
  }

  private async compareWith(
    registered: RegisteredModel,
    version: string | undefined,
    fitted: ModelService,
    candidate: ModelManifest,
    holdout: readonly TrainingRow[],
  ): Promise<Pick<TrainingOutcome, 'candidate' | 'current' | 'currentUnavailable' | 'paired'>> {
    const mine = predictAll(fitted, holdout);
    const alone = pairedCounts(
      holdout.map((row, i) => ({ first: mine[i], second: mine[i], actual: row.label })),
    );
    if (!version) return { candidate, paired: alone };
    try {
      const current = await registered.loadVersion(version);
      const theirs = predictAll(current.model, holdout);
      return {
        candidate,
        current: { version, holdout: evaluate(current.model, holdout) },
        paired: pairedCounts(
          holdout.map((row, i) => ({ first: theirs[i], second: mine[i], actual: row.label })),
        ),
      };
    } catch (error) {
      return { candidate, currentUnavailable: (error as Error).message, paired: alone };
    }
  }

  private decide(
    {
      candidate,
      current,
      currentUnavailable,
    }: Pick<TrainingOutcome, 'candidate' | 'current' | 'currentUnavailable'>,
    force: boolean,
  ): { promoted: boolean; reason: string } {
    const accuracy = (m: BinaryMetrics) => m.accuracy.toFixed(4);
    if (!current) {
      return {
        promoted: true,
        reason: currentUnavailable
          ? `the current version could not be loaded (${currentUnavailable})`
          : 'there was no current version',
      };
    }
    const candidateAccuracy = candidate.training.holdout.accuracy;
    if (candidateAccuracy >= current.holdout.accuracy) {
      return {
        promoted: true,
        reason: `holdout accuracy ${accuracy(candidate.training.holdout)} is not below the current version's ${accuracy(current.holdout)}`,
      };
    }
    if (force) {
      return {
        promoted: true,
        reason: `forced, although holdout accuracy ${accuracy(candidate.training.holdout)} is below the current version's ${accuracy(current.holdout)}`,
      };
    }
    return {
      promoted: false,
      reason: `holdout accuracy ${accuracy(candidate.training.holdout)} is below the current version's ${accuracy(current.holdout)}; kept as ${candidate.version}, not promoted`,
    };
  }
}
