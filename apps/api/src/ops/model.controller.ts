import { ModelManifest, ModelNotLoadedError, ModelRegistry } from '@app/mle';
import { Controller, Get, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { OpsTokenGuard } from './ops-token.guard';

function summary(manifest: ModelManifest) {
  const { name, version, createdAt, featureSchema, training } = manifest;
  return {
    model: name,
    version,
    createdAt,
    featureSchema,
    training: {
      rows: training.rows,
      holdoutRows: training.holdoutRows,
      from: training.from,
      to: training.to,
      holdout: training.holdout,
    },
  };
}

@ApiTags('model')
@Controller('model')
export class ModelController {
  constructor(private readonly registry: ModelRegistry) {}

  @Get()
  @ApiOperation({
    summary: 'The model version being served, its feature schema and training summary',
  })
  @ApiResponse({ status: 503, description: 'No model version is loaded.' })
  current() {
    const served = this.registry.current;
    if (!served) {
      throw new ModelNotLoadedError(
        `no version of ${this.registry.name} is loaded. Train one (npm run train), then POST /model/reload.`,
      );
    }
    return summary(served.manifest);
  }

  @Post('reload')
  @HttpCode(200)
  @UseGuards(OpsTokenGuard)
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'Load the current version from MODEL_DIR and serve it',
    description:
      'In-flight predictions finish on the old version. Before it serves, the version is checked: its files match their checksums, ' +
      'its parameters load, and it predicts (finite probabilities in [0, 1]) inputs covering every category, boolean and bound of the feature schema. ' +
      'A version that fails is refused (409, naming the version and the reason) and the old one keeps serving.',
  })
  @ApiResponse({ status: 401, description: 'Missing or wrong ops token.' })
  @ApiResponse({ status: 403, description: 'OPS_TOKEN is not set: ops endpoints are disabled.' })
  @ApiResponse({
    status: 409,
    description:
      'The current version is missing, corrupted, cannot be loaded or cannot predict a value the feature schema accepts; nothing changed.',
  })
  async reload() {
    const { manifest } = await this.registry.reload();
    return summary(manifest);
  }
}
