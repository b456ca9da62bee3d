import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { PoolClient } from 'pg';
import { DataSource, QueryRunner } from 'typeorm';
import { MLE_OPTIONS } from '../module/mle.constants';
import { MleOptions } from '../module/mle.options';
import { ModelRegistry } from '../registry/model.registry';
import { RegisteredModel } from '../registry/registered-model';
import {
  ModelVersionsRepository,
  ServingRoles,
  VERSIONS_CHANNEL,
} from './model-versions.repository';

/**
 * Keeps this process serving the champion, and scoring the shadow, that PostgreSQL names: at
 * start (a version served from MODEL_DIR becomes the champion when none is recorded), on every
 * NOTIFY of a change, and every `pollMs` should a notification be lost (LISTEN misses what is
 * sent while its connection is down). A version that cannot be loaded here leaves the served one
 * in place, and is tried again at the next poll.
 */
@Injectable()
export class ChampionFollower implements BeforeApplicationShutdown {
  private readonly logger = new Logger('ChampionFollower');
  private timer: NodeJS.Timeout | undefined;
  private listener: QueryRunner | undefined;
  private syncing: Promise<void> = Promise.resolve();
  private stopped = false;
  /** The last failure reported per model and version, so that a poll does not repeat it. */
  private readonly reported = new Map<string, string>();

  constructor(
    private readonly registry: ModelRegistry,
    private readonly versions: ModelVersionsRepository,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(MLE_OPTIONS) private readonly options: MleOptions,
  ) {}

  /** Records the served versions as champions where none is, then follows the database. */
  async start(): Promise<void> {
    for (const model of this.registry.models) {
      await this.adopt(model).catch((error: Error) =>
        this.logger.warn(`Could not record the champion of ${model.name}: ${error.message}`),
      );
    }
    await this.sync().catch(() => undefined);
    await this.listen();
    this.timer = setInterval(() => {
      void this.sync().catch(() => undefined);
      if (!this.listener) void this.listen();
    }, this.options.lifecycle.pollMs);
    this.timer.unref();
  }

  /** Brings this process in line with the recorded roles (of one model, or all). */
  sync(name?: string): Promise<void> {
    const next = this.syncing.then(() => this.syncNow(name));
    this.syncing = next.catch(() => undefined);
    return next;
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.syncing;
    await this.unlisten();
  }

  private async syncNow(name?: string): Promise<void> {
    const roles = await this.versions.serving();
    for (const model of this.registry.models) {
      if (name === undefined || model.name === name) {
        await this.follow(model, roles.get(model.name) ?? {});
      }
    }
  }

  private async follow(model: RegisteredModel, roles: ServingRoles): Promise<void> {
    const served = model.current?.manifest.version;
    let following = roles.champion === undefined || roles.champion === served;
    if (!following && roles.champion) {
      try {
        await model.serveVersion(roles.champion);
        following = true;
        this.reported.delete(`${model.name} champion`);
        this.logger.log(
          `Serving ${model.name} version ${roles.champion} (was ${served ?? 'none'})`,
        );
      } catch (error) {
        this.reportOnce(model.name, 'champion', roles.champion, error);
      }
    }
    // A shadow is scored beside the champion it is compared with, never beside another.
    const shadow =
      following && roles.shadow !== model.current?.manifest.version ? roles.shadow : undefined;
    try {
      await model.setShadow(shadow);
      this.reported.delete(`${model.name} shadow`);
    } catch (error) {
      await model.setShadow(undefined);
      this.reportOnce(model.name, 'shadow', shadow ?? '', error);
    }
  }

  private reportOnce(model: string, role: string, version: string, error: unknown): void {
    const key = `${model} ${role}`;
    if (this.reported.get(key) === version) return;
    this.reported.set(key, version);
    this.logger.error(
      `Cannot serve ${model} version ${version} as ${role} here: ${(error as Error).message} ` +
        `This process keeps what it had; it tries again every ${this.options.lifecycle.pollMs / 1000} s.`,
    );
  }

  private async adopt(model: RegisteredModel): Promise<void> {
    const served = model.current?.manifest;
    if (!served) return;
    await this.versions.record({
      model: model.name,
      version: served.version,
      role: 'candidate',
      training: served.training,
    });
    await this.versions.change(model.name, (roles) =>
      roles.champion
        ? undefined
        : {
            model: model.name,
            roles: [{ version: served.version, role: 'champion' }],
            promotion: {
              kind: 'promotion',
              version: served.version,
              previousVersion: null,
              actor: 'start-up',
              reason: 'served from MODEL_DIR at start, when no champion was recorded',
              details: undefined,
            },
          },
    );
  }

  private async listen(): Promise<void> {
    if (this.stopped || this.listener) return;
    const runner = this.dataSource.createQueryRunner();
    try {
      const client = (await runner.connect()) as PoolClient;
      client.on('notification', (message) => {
        if (message.channel === VERSIONS_CHANNEL)
          void this.sync(message.payload).catch(() => undefined);
      });
      client.on('error', () => void this.unlisten());
      await runner.query(`LISTEN ${VERSIONS_CHANNEL}`);
      this.listener = runner;
    } catch {
      // Polling covers the gap; listening is tried again at the next poll.
      await runner.release().catch(() => undefined);
    }
  }

  private async unlisten(): Promise<void> {
    const runner = this.listener;
    this.listener = undefined;
    if (!runner) return;
    await runner.query(`UNLISTEN ${VERSIONS_CHANNEL}`).catch(() => undefined);
    await runner.release().catch(() => undefined);
  }
}
