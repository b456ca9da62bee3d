import { Features } from '@app/mle';
import { DEFAULT_MLE_OPTIONS } from '@app/mle/module';
import { ModelArtifactStore } from '@app/mle/registry';
import { SERVED_MODELS } from '../apps/api/src/served-models';
import { Body, Controller, Get, HttpCode, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';

// The ceiling the framework allows: the same Nest + Fastify stack and the same model call,
// without validation, prediction logging, metrics or error shaping. Used by `npm run bench`.
const model = new SERVED_MODELS[0].model();

@Controller()
class PlainPredictController {
  @Get('health')
  health() {
    return 'ok';
  }

  @Post('predict')
  @HttpCode(200)
  predict(@Body() body: { id: number; features: Features }) {
    const [result] = model.predict([body.features]);
    return {
      id: body.id,
      ...result,
      model: model.name,
      modelVersion: model.version,
      requestId: 'plain',
    };
  }
}

@Module({ controllers: [PlainPredictController] })
class PlainModule {}

async function main(): Promise<void> {
  const modelDir = process.env.MODEL_DIR ?? '.data/models';
  const store = new ModelArtifactStore({ ...DEFAULT_MLE_OPTIONS, modelDir });
  const version = await store.currentVersion(model.name);
  if (!version) throw new Error(`no current version of ${model.name} in ${modelDir}`);
  const { dir } = await store.read(model.name, version);
  await model.load(dir);
  model.version = version;
  const app = await NestFactory.create<NestFastifyApplication>(PlainModule, new FastifyAdapter(), {
    logger: false,
  });
  await app.listen(Number(process.env.PORT ?? 3100), '127.0.0.1');
  process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
}

void main();
