import { Type } from '@nestjs/common';
import { Test, TestingModule } from '@nestjs/testing';
import { MleModule } from '../module/mle.module';
import { MleOptions } from '../module/mle.options';
import { ModelService } from '../model.service';
import { defineModelPlugin } from '../plugin/model-plugin';
import { FakeModelService } from './fake-model.service';
import { FakeTrainingData } from './fake-training.data';

/** The kit alone (no database), serving `model`, on a model directory of the test's, with in-memory training data. */
export async function createMleTestingModule(
  options: Partial<MleOptions> & Pick<MleOptions, 'modelDir'>,
  model: Type<ModelService> = FakeModelService,
): Promise<TestingModule> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      MleModule.forRoot({
        plugins: [defineModelPlugin({ model })],
        database: false,
        trainingData: FakeTrainingData,
        useOptions: () => ({ loadOnStart: false, ...options }),
      }),
    ],
  }).compile();
  await moduleRef.init();
  return moduleRef;
}
