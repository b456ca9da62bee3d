import { Type } from '@nestjs/common';
import { Test, TestingModule } from '@nestjs/testing';
import { MleModule } from '../mle.module';
import { MleOptions } from '../mle.options';
import { ModelService } from '../model.service';
import { FakeModelService } from './fake-model.service';
import { FakeTrainingDataSource } from './fake-training-data.source';

/** The kit alone, on a model directory of the test's, with in-memory training data. */
export async function createMleTestingModule(
  options: Partial<MleOptions> & Pick<MleOptions, 'modelDir'>,
  model: Type<ModelService> = FakeModelService,
): Promise<TestingModule> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      MleModule.forRoot({
        model,
        trainingData: FakeTrainingDataSource,
        useOptions: () => ({ loadOnStart: false, ...options }),
      }),
    ],
  }).compile();
  await moduleRef.init();
  return moduleRef;
}
