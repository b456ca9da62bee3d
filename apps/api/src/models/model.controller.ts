import { ModelLifecycle } from '@app/mle/lifecycle';
import { ModelNotLoadedError, ModelRegistry, RegisteredModel } from '@app/mle/registry';
import {
  Controller,
  Get,
  HttpCode,
  InternalServerErrorException,
  Param,
  Post,
  UseGuards,
} from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { PeerSync } from '../cluster/peer-sync';
import { OPS_TOKEN_SCHEME } from '../http/openapi';
import { OpsTokenGuard } from '../ops/ops-token.guard';
import { modelSummary, versionSummary } from './model-summary';

const RELOAD_DESCRIPTION =
  'In-flight predictions finish on the old version. Before it serves, the version is checked: its files match their checksums, ' +
  'its parameters load, and it predicts (finite probabilities in [0, 1]) inputs covering every category, boolean and bound of the feature schema. ' +
  'A version that fails is refused (409, naming the version and the reason) and the old one keeps serving. ' +
  'With several worker processes (WORKERS) every worker reloads before the answer. ' +
  'The version becomes the champion: every other replica serves it too (POST /models/{model}/promote does the same by version).';

const INCOMPLETE_RELOAD =
  'WORKERS > 1: the version serves in the worker that took the request, but another worker could not reload it (the detail says which and why) and keeps serving its version; send the reload again.';

/** The served models: what they are, which version each serves, and reloading one. */
@ApiTags('models')
@Controller()
export class ModelController {
  constructor(
    private readonly registry: ModelRegistry,
    private readonly peers: PeerSync,
    private readonly lifecycle: ModelLifecycle,
  ) {}

  @Get('models')
  @ApiOperation({
    summary: 'The served models: name, version served, feature schema and training summary',
  })
  list() {
    return { models: this.registry.models.map(modelSummary) };
  }

  @Get('models/:model')
  @ApiOperation({ summary: 'One served model: its version, feature schema and training summary' })
  @ApiParam({ name: 'model', description: 'A served model (GET /models lists them).' })
  @ApiResponse({ status: 404, description: 'No such model (the answer lists the served ones).' })
  describe(@Param('model') name: string) {
    return modelSummary(this.registry.get(name));
  }

  @Post('models/:model/reload')
  @HttpCode(200)
  @UseGuards(OpsTokenGuard)
  @ApiBearerAuth(OPS_TOKEN_SCHEME)
  @ApiOperation({
    summary: "Load the model's current version from MODEL_DIR and serve it",
    description: RELOAD_DESCRIPTION,
  })
  @ApiParam({ name: 'model', description: 'A served model (GET /models lists them).' })
  @ApiResponse({ status: 401, description: 'Missing or wrong ops token.' })
  @ApiResponse({ status: 403, description: 'OPS_TOKEN is not set: ops endpoints are disabled.' })
  @ApiResponse({ status: 404, description: 'No such model.' })
  @ApiResponse({ status: 409, description: 'The current version is not usable; nothing changed.' })
  @ApiResponse({ status: 500, description: INCOMPLETE_RELOAD })
  reloadModel(@Param('model') name: string) {
    return this.reloadEverywhere(this.registry.get(name));
  }

  @Get('model')
  @ApiOperation({
    summary: 'The default model: the version being served, its feature schema and training summary',
  })
  @ApiResponse({ status: 503, description: 'No model version is loaded.' })
  current() {
    const model = this.registry.first;
    const served = model.current;
    if (!served) throw new ModelNotLoadedError(model.name);
    return versionSummary(served.manifest);
  }

  @Post('model/reload')
  @HttpCode(200)
  @UseGuards(OpsTokenGuard)
  @ApiBearerAuth(OPS_TOKEN_SCHEME)
  @ApiOperation({
    summary: "Load the default model's current version from MODEL_DIR and serve it",
    description: RELOAD_DESCRIPTION,
  })
  @ApiResponse({ status: 401, description: 'Missing or wrong ops token.' })
  @ApiResponse({ status: 403, description: 'OPS_TOKEN is not set: ops endpoints are disabled.' })
  @ApiResponse({
    status: 409,
    description:
      'The current version is missing, corrupted, cannot be loaded or cannot predict a value the feature schema accepts; nothing changed.',
  })
  @ApiResponse({ status: 500, description: INCOMPLETE_RELOAD })
  reload() {
    return this.reloadEverywhere(this.registry.first);
  }

  /** Reloads the model here, then in every other worker (WORKERS > 1) before answering. */
  private async reloadEverywhere(model: RegisteredModel) {
    const { manifest } = await model.reload();
    await this.lifecycle.recordServed(model.name, manifest.version, {
      actor: 'ops',
      reason: 'reloaded from MODEL_DIR (POST reload)',
    });
    const failures = await this.peers.modelReloaded(model.name);
    if (failures.length) {
      throw new InternalServerErrorException(
        `${model.name} version ${manifest.version} serves in worker ${process.pid}, but not everywhere: ${failures.join('; ')}. ` +
          `Those workers keep serving the version they had; POST the reload again.`,
      );
    }
    return versionSummary(manifest);
  }
}
