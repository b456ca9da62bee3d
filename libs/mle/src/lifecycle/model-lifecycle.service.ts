import { Inject, Injectable, Logger } from '@nestjs/common';
import { hostname } from 'node:os';
import { MLE_OPTIONS } from '../module/mle.constants';
import { MleOptions } from '../module/mle.options';
import type { Evaluation } from '../monitoring/evaluation';
import { JobRunRepository, RunTrigger } from '../monitoring/repositories/job-run.repository';
import { RetrainingWebhookNotifier } from '../monitoring/retraining-webhook.notifier';
import { RetrainingEvents } from '../monitoring/retraining.events';
import { ModelArtifactStore } from '../registry/model-artifact.store';
import { TrainingSummary } from '../registry/model-manifest';
import { ModelRegistry } from '../registry/model.registry';
import { ModelTrainer } from '../training/model.trainer';
import { ChampionFollower } from './champion.follower';
import { GateReport, gateReport } from './gate';
import { RoleConflictError, RetrainInProgressError, UnknownVersionError } from './lifecycle.errors';
import {
  ModelVersionsRepository,
  Promotion,
  VersionRecord,
  VersionRole,
} from './model-versions.repository';
import { AccuracyWithInterval, comparePaired, PairedComparison } from './paired-comparison';

const DAY_MS = 86_400_000;

/** What a retrain made: the challenger, its gate report and the role it was given. */
export interface RetrainOutcome {
  model: string;
  version: string;
  role: VersionRole;
  promoted: boolean;
  gate: GateReport;
  training: TrainingSummary;
  window: { from: string; to: string };
  jobRunId: string;
}

/** Champion against shadow on the same live inputs. */
export interface ShadowComparison {
  champion: string;
  shadow: string;
  since: string;
  /** Inputs both scored, and the share on which they agree (known at once). */
  inputs: number;
  agreement: number | null;
  /** On the inputs whose label has arrived. */
  labelled: {
    n: number;
    champion: AccuracyWithInterval;
    shadow: AccuracyWithInterval;
    /** Shadow − champion accuracy, with its 95% interval. */
    difference: PairedComparison['difference'];
    mcnemar: { onlyChampionRight: number; onlyShadowRight: number; pValue: number };
  };
}

/** A version as listed: its record, with who promoted it, when and why. */
export interface VersionListing extends VersionRecord {
  promotedBy: Pick<Promotion, 'actor' | 'at' | 'reason' | 'kind'> | null;
}

/** What the lifecycle did after an evaluation. */
export type LifecycleAction =
  | { action: 'retrained'; outcome: RetrainOutcome }
  | { action: 'rolled-back'; promotion: Promotion }
  | { action: 'skipped'; model: string; reason: string };

/**
 * The closed loop: trains challengers on recent data and gates them against the champion,
 * puts them in shadow, promotes and rolls back. Every change is a row in PostgreSQL that every
 * replica follows (`ChampionFollower`), and an event: a log line, an in-process event, the
 * webhook.
 */
@Injectable()
export class ModelLifecycle {
  private readonly logger = new Logger('ModelLifecycle');

  constructor(
    private readonly registry: ModelRegistry,
    private readonly store: ModelArtifactStore,
    private readonly trainer: ModelTrainer,
    private readonly versions: ModelVersionsRepository,
    private readonly jobRuns: JobRunRepository,
    private readonly follower: ChampionFollower,
    private readonly events: RetrainingEvents,
    private readonly webhook: RetrainingWebhookNotifier,
    @Inject(MLE_OPTIONS) private readonly options: MleOptions,
  ) {}

  get mode() {
    return this.options.lifecycle.mode;
  }

  /** Every kept version of the model, newest first, with its role and its last promotion. */
  async list(name: string): Promise<VersionListing[]> {
    const model = this.registry.get(name).name;
    await this.recordUnknown(model);
    const promotions = await this.versions.promotions(model, 500);
    const onDisk = new Set(await this.store.versions(model));
    return (await this.versions.list(model))
      .filter((v) => onDisk.has(v.version) || v.role === 'champion' || v.role === 'shadow')
      .map((v) => {
        const last = promotions.find((p) => p.version === v.version);
        return {
          ...v,
          promotedBy: last
            ? { actor: last.actor, at: last.at, reason: last.reason, kind: last.kind }
            : null,
        };
      });
  }

  async promotions(name: string, limit = 20): Promise<Promotion[]> {
    return this.versions.promotions(this.registry.get(name).name, limit);
  }

  /**
   * Makes `version` the champion of every replica. It is verified first (a damaged version is
   * refused and the champion keeps serving); the champion it replaces is scored in shadow for
   * `shadowDays`.
   */
  async promote(
    name: string,
    version: string,
    by: { actor: string; reason: string; details?: unknown },
  ): Promise<Promotion> {
    const model = this.registry.get(name);
    await this.known(model.name, version);
    await model.loadVersion(version);
    const shadowUntil = new Date(Date.now() + this.options.lifecycle.shadowDays * DAY_MS);
    const { change, before } = await this.versions.change(model.name, (roles) =>
      roles.champion === version
        ? undefined
        : {
            model: model.name,
            roles: [
              { version, role: 'champion' },
              ...(roles.champion
                ? [{ version: roles.champion, role: 'shadow' as const, shadowUntil }]
                : []),
            ],
            promotion: {
              kind: 'promotion',
              version,
              previousVersion: roles.champion ?? null,
              actor: by.actor,
              reason: by.reason,
              details: by.details,
            },
          },
    );
    if (!change) {
      throw new RoleConflictError(model.name, `${version} is already the champion`);
    }
    return this.applied(model.name, version, before.champion, 'promotion', by);
  }

  /**
   * Records a version that was served by hand (a reload of MODEL_DIR's current, `npm run
   * train`) as the champion, so that the replicas follow it rather than undo it. Nothing
   * happens when it is the champion already.
   */
  async recordServed(
    name: string,
    version: string,
    by: { actor: string; reason: string },
  ): Promise<Promotion | undefined> {
    const model = this.registry.get(name).name;
    const champion = (await this.versions.serving()).get(model)?.champion;
    if (champion === version) return undefined;
    return this.promote(model, version, by);
  }

  /**
   * Serves the previous champion again. The champion it replaces is retired (it is the one
   * found wanting), and the rollback is recorded with why.
   */
  async rollback(
    name: string,
    by: { actor: string; reason: string; details?: unknown },
  ): Promise<Promotion> {
    const model = this.registry.get(name);
    const [last] = (await this.versions.promotions(model.name, 1)).filter(
      (p) => p.kind === 'promotion',
    );
    const target = last?.previousVersion;
    if (!last || !target) {
      throw new RoleConflictError(
        model.name,
        'there is nothing to roll back to: no promotion replaced an earlier champion',
      );
    }
    if (!(await this.store.versions(model.name)).includes(target)) {
      throw new RoleConflictError(
        model.name,
        `cannot roll back: the previous champion ${target} is no longer kept in MODEL_DIR`,
      );
    }
    await model.loadVersion(target);
    const { change, before } = await this.versions.change(model.name, (roles) =>
      roles.champion !== last.version
        ? undefined
        : {
            model: model.name,
            roles: [
              { version: target, role: 'champion' },
              { version: last.version, role: 'retired' },
            ],
            promotion: {
              kind: 'rollback',
              version: target,
              previousVersion: last.version,
              actor: by.actor,
              reason: by.reason,
              details: by.details,
            },
          },
    );
    if (!change) {
      throw new RoleConflictError(
        model.name,
        `cannot roll back: the champion is ${before.champion ?? 'none'}, not ${last.version} (the last promotion): it changed since`,
      );
    }
    return this.applied(model.name, target, before.champion, 'rollback', by);
  }

  /**
   * Trains a challenger on the labelled rows of the last `retrainWindowDays`, judged on the
   * latest of them beside the champion, and stores its gate report. In `auto` mode one that
   * passes is promoted; otherwise it is scored in shadow for an operator to review. One retrain
   * of a model runs at a time across replicas.
   */
  async retrain(name: string, trigger: RunTrigger, actor: string): Promise<RetrainOutcome> {
    const model = this.registry.get(name);
    const job = `retrain:${model.name}`;
    const lock = await this.jobRuns.lock(job);
    if (!lock) throw new RetrainInProgressError(model.name, await this.jobRuns.last(job));
    try {
      const to = new Date();
      const from = new Date(to.getTime() - this.options.lifecycle.retrainWindowDays * DAY_MS);
      const jobRunId = await this.jobRuns.start({
        job,
        scheduledFor: to,
        trigger,
        host: hostname(),
        lock,
      });
      if (!jobRunId) throw new RetrainInProgressError(model.name, await this.jobRuns.last(job));
      try {
        const outcome = await this.trainChallenger(model.name, { from, to }, actor);
        await this.jobRuns.finish(jobRunId, 'succeeded');
        return { ...outcome, jobRunId };
      } catch (error) {
        await this.jobRuns
          .finish(jobRunId, 'failed', (error as Error).message)
          .catch(() => undefined);
        throw error;
      }
    } finally {
      await lock.release();
    }
  }

  /** Champion against shadow on the same live inputs, when the model has a shadow. */
  async compareWithShadow(name: string): Promise<ShadowComparison | undefined> {
    const model = this.registry.get(name).name;
    const roles = (await this.versions.serving()).get(model);
    if (!roles?.champion || !roles.shadow) return undefined;
    const shadow = await this.versions.get(model, roles.shadow);
    const since = new Date(shadow?.updatedAt ?? 0);
    const paired = await this.versions.paired(model, roles.champion, roles.shadow, since);
    return {
      champion: roles.champion,
      shadow: roles.shadow,
      since: since.toISOString(),
      inputs: paired.inputs,
      agreement: paired.inputs === 0 ? null : paired.agreeing / paired.inputs,
      labelled: shadowView(comparePaired(paired.labelled)),
    };
  }

  /**
   * After an evaluation: retires shadows past their time, rolls back (in `auto` mode) a
   * champion significantly worse than its predecessor in shadow, and trains a challenger on a
   * RETRAIN (unless in `recommend` mode, or just rolled back). Never throws: what fails is
   * logged and answered as skipped.
   */
  async afterEvaluation(evaluations: readonly Evaluation[]): Promise<LifecycleAction[]> {
    const actions: LifecycleAction[] = [];
    try {
      for (const model of await this.versions.retireExpiredShadows()) {
        this.logger.log(`The shadow of ${model} served its time and is retired`);
        await this.follower.sync(model);
      }
    } catch (error) {
      this.logger.warn(`Could not retire expired shadows: ${(error as Error).message}`);
    }
    for (const evaluation of evaluations) {
      try {
        const rolledBack =
          this.mode === 'auto' ? await this.rollbackIfWorse(evaluation) : undefined;
        if (rolledBack) {
          actions.push({ action: 'rolled-back', promotion: rolledBack });
          continue;
        }
        if (evaluation.recommendation !== 'RETRAIN' || this.mode === 'recommend') continue;
        const outcome = await this.retrain(evaluation.model, 'evaluation', 'retraining-monitor');
        actions.push({ action: 'retrained', outcome });
      } catch (error) {
        const reason = (error as Error).message;
        this.logger.warn(`After the evaluation of ${evaluation.model}: ${reason}`);
        actions.push({ action: 'skipped', model: evaluation.model, reason });
      }
    }
    return actions;
  }

  private async rollbackIfWorse(evaluation: Evaluation): Promise<Promotion | undefined> {
    const model = evaluation.model;
    const [last] = await this.versions.promotions(model, 1);
    const roles = (await this.versions.serving()).get(model);
    if (
      !last ||
      last.kind !== 'promotion' ||
      !last.previousVersion ||
      roles?.champion !== last.version ||
      roles.shadow !== last.previousVersion
    ) {
      return undefined;
    }
    const paired = await this.versions.paired(
      model,
      last.version,
      last.previousVersion,
      new Date(last.at),
    );
    const comparison = comparePaired(paired.labelled);
    const { minLabelled } = this.options.monitoring;
    const worse =
      comparison.mcnemar.onlySecondRight > comparison.mcnemar.onlyFirstRight &&
      comparison.mcnemar.pValue < this.options.lifecycle.rollbackAlpha;
    if (comparison.n < minLabelled || !worse) return undefined;
    const percent = (v: number) => `${(100 * v).toFixed(1)}%`;
    return this.rollback(model, {
      actor: 'retraining-monitor',
      reason:
        `champion ${last.version} scored ${percent(comparison.first.accuracy)} against ${percent(comparison.second.accuracy)} ` +
        `for the previous champion ${last.previousVersion} on the same ${comparison.n} labelled inputs ` +
        `(McNemar p = ${comparison.mcnemar.pValue.toPrecision(3)} < ${this.options.lifecycle.rollbackAlpha})`,
      details: comparison,
    });
  }

  private async trainChallenger(
    model: string,
    window: { from: Date; to: Date },
    actor: string,
  ): Promise<Omit<RetrainOutcome, 'jobRunId'>> {
    await this.recordUnknown(model);
    const roles = (await this.versions.serving()).get(model) ?? {};
    const trained = await this.trainer.train({
      model,
      ...window,
      holdout: 'latest',
      promote: false,
      against: roles.champion,
      minLabelled: this.options.monitoring.minLabelled,
      keep: [roles.champion, roles.shadow].filter((v): v is string => v !== undefined),
    });
    const { candidate } = trained;
    const gate = gateReport({
      challengerVersion: candidate.version,
      championVersion: trained.current?.version,
      championUnavailable: trained.currentUnavailable,
      paired: trained.paired!,
      threshold: this.options.monitoring.accuracyThreshold,
      holdout: { from: candidate.training.holdoutFrom, to: candidate.training.to },
    });
    await this.versions.record({
      model,
      version: candidate.version,
      role: 'candidate',
      training: candidate.training,
      gate,
    });
    const base = {
      model,
      version: candidate.version,
      gate,
      training: candidate.training,
      window: { from: window.from.toISOString(), to: window.to.toISOString() },
    };
    this.logger.log(
      `Trained challenger ${candidate.version} of ${model}: gate ${gate.passed ? 'passed' : 'failed'} (${gate.reasons.join('; ')})`,
    );
    if (this.mode === 'auto' && gate.passed) {
      await this.promote(model, candidate.version, {
        actor,
        reason: `the challenger passed the gate: ${gate.reasons.join('; ')}`,
        details: { gate },
      });
      return { ...base, role: 'champion', promoted: true };
    }
    await this.versions.change(model, () => ({
      model,
      roles: [{ version: candidate.version, role: 'shadow' }],
    }));
    await this.follower.sync(model);
    return { ...base, role: 'shadow', promoted: false };
  }

  /** Versions on disk not yet recorded (trained before the lifecycle, or by hand) become candidates. */
  private async recordUnknown(model: string): Promise<void> {
    const recorded = new Set((await this.versions.list(model)).map((v) => v.version));
    for (const version of await this.store.versions(model)) {
      if (recorded.has(version)) continue;
      const training = await this.store
        .read(model, version)
        .then(({ manifest }) => manifest.training)
        .catch(() => undefined);
      await this.versions.record({ model, version, role: 'candidate', training });
    }
  }

  private async known(model: string, version: string): Promise<void> {
    await this.recordUnknown(model);
    const onDisk = await this.store.versions(model);
    if (!onDisk.includes(version)) throw new UnknownVersionError(model, version, onDisk);
  }

  /** Serves the change here at once, keeps MODEL_DIR's `current` in step, and announces it. */
  private async applied(
    model: string,
    version: string,
    previous: string | undefined,
    kind: Promotion['kind'],
    by: { actor: string; reason: string },
  ): Promise<Promotion> {
    await this.store.promote(model, version);
    await this.follower.sync(model);
    const [promotion] = await this.versions.promotions(model, 1);
    const entry = {
      message: `${kind === 'rollback' ? 'Rolled back' : 'Promoted'} ${model} to ${version} (was ${previous ?? 'none'}) by ${by.actor}: ${by.reason}`,
      event: kind === 'rollback' ? 'model.rolled-back' : 'model.promoted',
      model,
      version,
      previousVersion: previous ?? null,
      actor: by.actor,
      reason: by.reason,
    };
    this.logger.warn(entry);
    try {
      this.events.emitPromotion(promotion);
    } catch (error) {
      this.logger.error(`A promotion listener failed: ${(error as Error).message}`);
    }
    const { monitoring } = this.options;
    await this.webhook.post(
      { ...entry, at: promotion.at },
      {
        url: monitoring.webhookUrl,
        timeoutMs: monitoring.webhookTimeoutMs,
        retries: monitoring.webhookRetries,
      },
      `the ${kind}`,
    );
    return promotion;
  }
}

/** A paired comparison with the champion first and the shadow second, in their names. */
function shadowView(c: PairedComparison): ShadowComparison['labelled'] {
  return {
    n: c.n,
    champion: c.first,
    shadow: c.second,
    difference: c.difference,
    mcnemar: {
      onlyChampionRight: c.mcnemar.onlyFirstRight,
      onlyShadowRight: c.mcnemar.onlySecondRight,
      pValue: c.mcnemar.pValue,
    },
  };
}
