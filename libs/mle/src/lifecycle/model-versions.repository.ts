import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { TrainingSummary } from '../registry/model-manifest';
import type { GateReport } from './gate';
import type { PairedCounts } from './paired-comparison';

export const VERSION_ROLES = ['champion', 'shadow', 'candidate', 'retired'] as const;
export type VersionRole = (typeof VERSION_ROLES)[number];

/** The channel every replica listens on for a change of champion or shadow. */
export const VERSIONS_CHANNEL = 'mle_model_versions';

export interface VersionRecord {
  model: string;
  version: string;
  role: VersionRole;
  createdAt: string;
  updatedAt: string;
  /** A shadow that is the previous champion retires at this time. */
  shadowUntil: string | null;
  training: TrainingSummary | null;
  gate: GateReport | null;
}

export interface Promotion {
  id: string;
  model: string;
  kind: 'promotion' | 'rollback';
  version: string;
  previousVersion: string | null;
  actor: string;
  reason: string;
  details: unknown;
  at: string;
}

/** Which versions each model's replicas must serve and score in shadow. */
export interface ServingRoles {
  champion?: string;
  shadow?: string;
}

/** A change of roles, made in one transaction with its promotion row and notification. */
export interface RoleChange {
  model: string;
  /** The new roles of versions (each must already be recorded). */
  roles: { version: string; role: VersionRole; shadowUntil?: Date }[];
  promotion?: Omit<Promotion, 'id' | 'at' | 'model'>;
}

interface VersionRow {
  model: string;
  version: string;
  role: VersionRole;
  created_at: Date;
  updated_at: Date;
  shadow_until: Date | null;
  training: TrainingSummary | null;
  gate: GateReport | null;
}

interface PromotionRow {
  id: string;
  model: string;
  kind: Promotion['kind'];
  version: string;
  previous_version: string | null;
  actor: string;
  reason: string;
  details: unknown;
  at: Date;
}

const toVersion = (row: VersionRow): VersionRecord => ({
  model: row.model,
  version: row.version,
  role: row.role,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
  shadowUntil: row.shadow_until?.toISOString() ?? null,
  training: row.training,
  gate: row.gate,
});

const toPromotion = (row: PromotionRow): Promotion => ({
  id: String(row.id),
  model: row.model,
  kind: row.kind,
  version: row.version,
  previousVersion: row.previous_version,
  actor: row.actor,
  reason: row.reason,
  details: row.details,
  at: row.at.toISOString(),
});

/** `model_versions` and `model_promotions`: the roles of versions, shared by every replica. */
@Injectable()
export class ModelVersionsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The champion and shadow of every model that has one. */
  async serving(): Promise<Map<string, ServingRoles>> {
    const rows = await this.dataSource.query<{ model: string; version: string; role: string }[]>(
      `SELECT model, version, role FROM model_versions WHERE role IN ('champion', 'shadow')`,
    );
    const roles = new Map<string, ServingRoles>();
    for (const row of rows) {
      const entry = roles.get(row.model) ?? {};
      entry[row.role === 'champion' ? 'champion' : 'shadow'] = row.version;
      roles.set(row.model, entry);
    }
    return roles;
  }

  async get(model: string, version: string): Promise<VersionRecord | undefined> {
    const [row] = await this.dataSource.query<VersionRow[]>(
      `SELECT * FROM model_versions WHERE model = $1 AND version = $2`,
      [model, version],
    );
    return row && toVersion(row);
  }

  /** The model's recorded versions, newest first. */
  async list(model: string): Promise<VersionRecord[]> {
    const rows = await this.dataSource.query<VersionRow[]>(
      `SELECT * FROM model_versions WHERE model = $1 ORDER BY version DESC`,
      [model],
    );
    return rows.map(toVersion);
  }

  /** The model's promotions and rollbacks, newest first. */
  async promotions(model: string, limit = 50): Promise<Promotion[]> {
    const rows = await this.dataSource.query<PromotionRow[]>(
      `SELECT * FROM model_promotions WHERE model = $1 ORDER BY at DESC, id DESC LIMIT $2`,
      [model, limit],
    );
    return rows.map(toPromotion);
  }

  /** Records a version (a no-op when it is recorded already) with its role. */
  async record(version: {
    model: string;
    version: string;
    role: VersionRole;
    training?: TrainingSummary;
    gate?: GateReport;
  }): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO model_versions (model, version, role, training, gate)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT (model, version) DO NOTHING`,
      [
        version.model,
        version.version,
        version.role,
        version.training ? JSON.stringify(version.training) : null,
        version.gate ? JSON.stringify(version.gate) : null,
      ],
    );
  }

  /**
   * Changes roles under the model's lock, so that two replicas promoting at once are applied one
   * after the other: `decide` sees the roles as they are and returns the change (or undefined
   * for none). A version taking the champion or shadow seat sends the one holding it to
   * `retired`, unless the change gives that one another role. Notifies every replica.
   */
  async change(
    model: string,
    decide: (current: ServingRoles) => RoleChange | undefined,
  ): Promise<{ change?: RoleChange; before: ServingRoles }> {
    return this.dataSource.transaction(async (manager) => {
      await this.lockModel(manager, model);
      const before = await this.rolesOf(manager, model);
      const change = decide(before);
      if (!change) return { before };
      const taken = new Set(change.roles.map((r) => r.version));
      for (const seat of ['champion', 'shadow'] as const) {
        const holder = before[seat];
        if (holder && !taken.has(holder) && change.roles.some((r) => r.role === seat)) {
          await this.setRole(manager, model, holder, 'retired');
        }
      }
      // Free the seats first: the unique indexes allow one champion and one shadow at a time.
      for (const { version } of change.roles) {
        await this.setRole(manager, model, version, 'candidate');
      }
      for (const { version, role, shadowUntil } of change.roles) {
        await this.setRole(manager, model, version, role, shadowUntil);
      }
      if (change.promotion) {
        const p = change.promotion;
        await manager.query(
          `INSERT INTO model_promotions (model, kind, version, previous_version, actor, reason, details)
           VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          [
            model,
            p.kind,
            p.version,
            p.previousVersion,
            p.actor,
            p.reason,
            p.details === undefined ? null : JSON.stringify(p.details),
          ],
        );
      }
      await manager.query(`SELECT pg_notify($1, $2)`, [VERSIONS_CHANNEL, model]);
      return { change, before };
    });
  }

  /** Shadows past their `shadow_until`, now retired; answers the models that changed. */
  async retireExpiredShadows(now = new Date()): Promise<string[]> {
    const rows = await this.dataSource.query<[{ model: string }[], number]>(
      `UPDATE model_versions SET role = 'retired', updated_at = now()
        WHERE role = 'shadow' AND shadow_until < $1 RETURNING model`,
      [now],
    );
    const models = [...new Set(rows[0].map((r) => r.model))];
    for (const model of models) {
      await this.dataSource.query(`SELECT pg_notify($1, $2)`, [VERSIONS_CHANNEL, model]);
    }
    return models;
  }

  /**
   * Two versions on the same inputs predicted since `since`: `first` and `second` are their
   * predictions, paired by input id; `labelled` counts the pairs whose label is known.
   */
  async paired(
    model: string,
    first: string,
    second: string,
    since: Date,
  ): Promise<{ labelled: PairedCounts & { agreeing: number }; inputs: number; agreeing: number }> {
    const [row] = await this.dataSource.query<Record<string, string>[]>(
      `SELECT count(*) AS inputs,
              count(*) FILTER (WHERE a.prediction = b.prediction) AS agreeing,
              count(a.label) AS n,
              count(*) FILTER (WHERE a.label IS NOT NULL AND a.prediction = b.prediction) AS labelled_agreeing,
              count(*) FILTER (WHERE a.prediction = a.label AND b.prediction = a.label) AS both_right,
              count(*) FILTER (WHERE a.prediction = a.label AND b.prediction <> a.label) AS only_first,
              count(*) FILTER (WHERE a.prediction <> a.label AND b.prediction = a.label) AS only_second,
              count(*) FILTER (WHERE a.prediction <> a.label AND b.prediction <> a.label) AS both_wrong
         FROM prediction_outcomes a
         JOIN prediction_outcomes b
           ON b.input_id = a.input_id AND b.model = a.model AND b.model_version = $3
        WHERE a.model = $1 AND a.model_version = $2
          AND a.predicted_at >= $4 AND b.predicted_at >= $4`,
      [model, first, second, since],
    );
    return {
      inputs: Number(row.inputs),
      agreeing: Number(row.agreeing),
      labelled: {
        n: Number(row.n),
        agreeing: Number(row.labelled_agreeing),
        bothRight: Number(row.both_right),
        onlyFirstRight: Number(row.only_first),
        onlySecondRight: Number(row.only_second),
        bothWrong: Number(row.both_wrong),
      },
    };
  }

  private async lockModel(manager: EntityManager, model: string): Promise<void> {
    // A row lock of `job_locks`, which only the service's role can take (an advisory lock any
    // role could hold); bounded, so that a stuck holder fails the change instead of hanging it.
    const key = `versions:${model}`;
    await manager.query(`SET LOCAL lock_timeout = '10s'`);
    await manager.query(`INSERT INTO job_locks (job) VALUES ($1) ON CONFLICT DO NOTHING`, [key]);
    await manager.query(`SELECT job FROM job_locks WHERE job = $1 FOR UPDATE`, [key]);
  }

  private async rolesOf(manager: EntityManager, model: string): Promise<ServingRoles> {
    const rows = await manager.query<{ version: string; role: string }[]>(
      `SELECT version, role FROM model_versions
        WHERE model = $1 AND role IN ('champion', 'shadow')`,
      [model],
    );
    return {
      champion: rows.find((r) => r.role === 'champion')?.version,
      shadow: rows.find((r) => r.role === 'shadow')?.version,
    };
  }

  private async setRole(
    manager: EntityManager,
    model: string,
    version: string,
    role: VersionRole,
    shadowUntil?: Date,
  ): Promise<void> {
    await manager.query(
      `UPDATE model_versions SET role = $3, shadow_until = $4, updated_at = now()
        WHERE model = $1 AND version = $2`,
      [model, version, role, shadowUntil ?? null],
    );
  }
}
