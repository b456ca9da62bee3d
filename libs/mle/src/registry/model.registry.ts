import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { MleMetrics } from '../metrics/mle-metrics';
import { MLE_PLUGINS } from '../module/mle.constants';
import { ModelPlugin } from '../plugin/model-plugin';
import { ModelArtifactStore } from './model-artifact.store';
import { RegisteredModel } from './registered-model';
import { UnknownModelError } from './registry.errors';

const MODEL_NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/**
 * The models this service serves, one per plug-in, in the order the app lists them; the first
 * is the default model of the routes that name none (`POST /predict`). Filled when the module
 * initialises (models are created through the container, with their dependencies).
 */
@Injectable()
export class ModelRegistry implements OnModuleInit {
  private readonly byName = new Map<string, RegisteredModel>();

  constructor(
    private readonly moduleRef: ModuleRef,
    private readonly store: ModelArtifactStore,
    private readonly metrics: MleMetrics,
    @Inject(MLE_PLUGINS) private readonly plugins: readonly ModelPlugin[],
  ) {}

  async onModuleInit(): Promise<void> {
    if (this.plugins.length === 0) throw new Error('No model plug-in is served: list at least one');
    for (const plugin of this.plugins) {
      const blueprint = await this.moduleRef.create(plugin.model);
      const name = blueprint.name;
      if (!MODEL_NAME.test(name)) {
        throw new Error(`${plugin.model.name}.name "${name}" must be kebab-case (a-z, 0-9, -)`);
      }
      if (this.byName.has(name)) throw new Error(`Two plug-ins serve a model named "${name}"`);
      this.byName.set(
        name,
        new RegisteredModel(plugin, blueprint, this.moduleRef, this.store, this.metrics),
      );
    }
  }

  /** Every served model, in the order of the plug-ins. */
  get models(): RegisteredModel[] {
    return [...this.byName.values()];
  }

  get names(): string[] {
    return [...this.byName.keys()];
  }

  /** The default model: the first plug-in's. */
  get first(): RegisteredModel {
    const [first] = this.byName.values();
    return first;
  }

  /** The model named `name`; `UnknownModelError` (listing the served ones) when none is. */
  get(name: string): RegisteredModel {
    const model = this.byName.get(name);
    if (!model) throw new UnknownModelError(name, this.names);
    return model;
  }
}
