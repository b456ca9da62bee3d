import { ModelNotLoadedError, ModelRegistry, RegisteredModel } from '@app/mle/registry';
import { Controller, Get, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { OPS_TOKEN_SCHEME } from '../http/openapi';
import { OpsTokenGuard } from '../ops/ops-token.guard';
import { modelSummary, versionSummary } from './model-summary';

const RELOAD_DESCRIPTION =
  'In-flight predictions finish on the old version. Before it serves, the version is checked: its files match their checksums, ' +
  'its parameters load, and it predicts (finite probabilities in [0, 1]) inputs covering every category, boolean and bound of the feature schema. ' +
  'A version that fails is refused (409, naming the version and the reason) and the old one keeps serving.';

async function reload(model: RegisteredModel) {
  const { manifest } = await model.reload();
  return versionSummary(manifest);
}

/** The served models: what they are, which version each serves, and reloading one. */
@ApiTags('models')
@Controller()
export class ModelController {
  constructor(private readonly registry: ModelRegistry) {}

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
  reloadModel(@Param('model') name: string) {
    return reload(this.registry.get(name));
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
  reload() {
    return reload(this.registry.first);
  }
}
